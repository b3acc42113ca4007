namespace InCallMessaging.SemanticKernel;

/// <summary>The configuration has problems; <see cref="Errors"/> lists every one, each naming the field and the fix.</summary>
public sealed class InCallMessagingConfigurationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public InCallMessagingConfigurationException(IReadOnlyList<string> errors)
        : base("In-call messaging configuration is invalid:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => " - " + e)))
    {
        Errors = errors;
    }

    /// <summary>Every problem found.</summary>
    public IReadOnlyList<string> Errors { get; }
}
