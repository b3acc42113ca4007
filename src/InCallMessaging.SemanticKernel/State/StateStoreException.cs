namespace InCallMessaging.SemanticKernel;

/// <summary>
/// A state store could not read or write (a locked or deleted file, a full disk, a store that is down). Its message
/// names the store and the fix. A webhook that meets it answers 503, so the provider retries: nothing is answered
/// 200 and dropped.
/// </summary>
public sealed class StateStoreException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="store">The store's name as a user would recognize it, for example <c>SQLite (incall.db)</c>.</param>
    /// <param name="message">What failed and how to fix it.</param>
    /// <param name="innerException">The store's own error.</param>
    public StateStoreException(string store, string message, Exception? innerException = null)
        : base($"{store}: {message}", innerException)
    {
        Store = store;
    }

    /// <summary>The store's name.</summary>
    public string Store { get; }
}
