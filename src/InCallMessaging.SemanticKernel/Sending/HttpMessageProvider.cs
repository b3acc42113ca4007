using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;

namespace InCallMessaging.SemanticKernel;

/// <summary>
/// Sends through a custom HTTPS API: <c>POST {Url}</c> with JSON
/// <c>{"to","message","channel","from","call_id","action","reference","template_id","content_variables","media_urls"}</c>
/// and the sender's configured headers. A 2xx answer is success (its JSON <c>id</c> or <c>message_id</c> becomes the
/// message id); anything else, or no answer within the sender's timeout, is a failure result.
/// </summary>
internal sealed class HttpMessageProvider(IHttpClientFactory httpClientFactory, ILogger<HttpMessageProvider> logger) : IMessageProvider
{
    public const string ProviderName = "Http";
    public const string HttpClientName = "InCallMessaging.Http";

    /// <summary>The longest a sender's <see cref="HttpSenderOptions.Timeout"/> may be.</summary>
    internal static readonly TimeSpan MaxTimeout = TimeSpan.FromMinutes(2);

    public string Name => ProviderName;

    public IEnumerable<string> ValidateSender(MessageSenderOptions sender)
    {
        ArgumentNullException.ThrowIfNull(sender);
        var problems = new List<string>();
        if (sender.Http.Url is null || !sender.Http.Url.IsAbsoluteUri)
        {
            problems.Add("Http:Url is required for the Http provider: set the absolute https:// endpoint that receives the messages.");
        }
        else if (sender.Http.Url.Scheme != Uri.UriSchemeHttps && !sender.Http.Url.IsLoopback)
        {
            problems.Add($"Http:Url '{sender.Http.Url}' must use https:// (plain http is allowed only for loopback addresses).");
        }

        if (sender.Http.Timeout <= TimeSpan.Zero || sender.Http.Timeout > MaxTimeout)
        {
            problems.Add($"Http:Timeout {sender.Http.Timeout} must be between 00:00:00.001 and 00:02:00.");
        }

        return problems;
    }

    public async ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        var sender = message.Sender;
        using var request = new HttpRequestMessage(HttpMethod.Post, sender.Http.Url)
        {
            Content = JsonContent.Create(new HttpSendRequest(message), HttpSendJsonContext.Default.HttpSendRequest),
        };
        foreach (var (name, value) in sender.Http.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(sender.Http.Timeout);
        try
        {
            var client = httpClientFactory.CreateClient(HttpClientName);
            using var response = await client.SendAsync(request, timeout.Token).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                return SendResult.Sent(await ReadIdAsync(response, message, timeout.Token).ConfigureAwait(false), "accepted");
            }

            logger.LogWarning("Custom messaging API answered {Status} for a message to {To}.", (int)response.StatusCode, Redact.Phone(message.To));
            return response.StatusCode switch
            {
                HttpStatusCode.TooManyRequests => SendResult.Failed(SendFailureReason.RateLimited, "The messaging service is busy; the message was not sent. Try once more shortly or continue by voice.", "429"),
                HttpStatusCode.ServiceUnavailable => SendResult.Failed(SendFailureReason.ProviderUnavailable, "The messaging service is unavailable; the message was not sent. Offer to read the information aloud.", "503"),
                >= HttpStatusCode.InternalServerError => SendResult.OutcomeUnknown(SendFailureReason.ProviderUnavailable, "The messaging service failed while handling the message, so it may or may not have been sent; do not send it again now: ask the caller whether it arrived, or read the information aloud.", ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture)),
                _ => SendResult.Failed(SendFailureReason.Rejected, $"The messaging service rejected the message (HTTP {(int)response.StatusCode}). Offer to read the information aloud.", ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture)),
            };
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("Custom messaging API did not answer within {Timeout}.", sender.Http.Timeout);
            return SendResult.OutcomeUnknown(SendFailureReason.Timeout, "The messaging service did not answer in time; the message may or may not have been sent. Ask the caller whether it arrived before sending again.");
        }
        catch (HttpRequestException ex) when (ex.HttpRequestError is HttpRequestError.NameResolutionError or HttpRequestError.ConnectionError
            or HttpRequestError.SecureConnectionError or HttpRequestError.ProxyTunnelError)
        {
            logger.LogWarning(ex, "Custom messaging API could not be reached.");
            return SendResult.Failed(SendFailureReason.ProviderUnavailable, "The messaging service could not be reached; the message was not sent. Offer to read the information aloud.");
        }
        catch (HttpRequestException ex)
        {
            // The request may have gone out before the connection broke.
            logger.LogWarning(ex, "Custom messaging API connection failed ({Error}) before it answered.", ex.HttpRequestError);
            return SendResult.OutcomeUnknown(SendFailureReason.ProviderUnavailable, "The connection to the messaging service broke before it answered, so the message may or may not have been sent; do not send it again now: ask the caller whether it arrived, or read the information aloud.");
        }
    }

    private static async Task<string> ReadIdAsync(HttpResponseMessage response, OutboundMessage message, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentType?.MediaType == "application/json")
        {
            try
            {
                using var document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), cancellationToken: cancellationToken).ConfigureAwait(false);
                foreach (var name in (ReadOnlySpan<string>)["id", "message_id", "messageId", "sid"])
                {
                    if (document.RootElement.ValueKind == JsonValueKind.Object
                        && document.RootElement.TryGetProperty(name, out var id) && id.ValueKind == JsonValueKind.String
                        && id.GetString() is { Length: > 0 } value)
                    {
                        return value;
                    }
                }
            }
            catch (JsonException)
            {
                // An answer without a usable id is still a success; fall back to our own reference.
            }
        }

        return "HTTP" + message.ClientReference;
    }
}

internal sealed class HttpSendRequest(OutboundMessage message)
{
    [JsonPropertyName("to")]
    public string To => message.To;

    [JsonPropertyName("message")]
    public string? Message => message.Body;

    [JsonPropertyName("channel")]
    public string Channel => ChannelNames.Of(message.Channel);

    [JsonPropertyName("from")]
    public string? From => message.Sender.From;

    [JsonPropertyName("call_id")]
    public string CallId => message.CallId;

    [JsonPropertyName("action")]
    public string Action => message.ActionName;

    [JsonPropertyName("reference")]
    public string Reference => message.ClientReference;

    [JsonPropertyName("template_id")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? TemplateId => message.Content?.TemplateId;

    [JsonPropertyName("content_variables")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, string>? ContentVariables => message.Content?.Variables;

    [JsonPropertyName("media_urls")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<Uri>? MediaUrls => message.MediaUrls.Count > 0 ? message.MediaUrls : null;
}

[JsonSerializable(typeof(HttpSendRequest))]
internal sealed partial class HttpSendJsonContext : JsonSerializerContext;
