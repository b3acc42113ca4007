namespace InCallMessaging.SemanticKernel;

/// <summary>The settings of a sender whose provider is <c>Http</c>: the custom HTTPS API that carries its messages.</summary>
/// <remarks>Bound from <c>InCallMessaging:Senders:{name}:Http</c>.</remarks>
public sealed class HttpSenderOptions
{
    /// <summary>The HTTPS endpoint that receives <c>POST {"to","message","channel",...}</c>.</summary>
    public Uri? Url { get; set; }

    /// <summary>Headers added to every request (for example <c>Authorization</c>).</summary>
    public Dictionary<string, string> Headers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>How long one request may take before it is reported as a timeout.</summary>
    /// <value>The default value is 10 seconds.</value>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
}
