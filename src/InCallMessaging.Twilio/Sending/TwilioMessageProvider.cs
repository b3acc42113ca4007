using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using InCallMessaging.SemanticKernel;
using InCallMessaging.Twilio.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace InCallMessaging.Twilio;

/// <summary>
/// Sends SMS and WhatsApp messages through Twilio's REST API (<c>POST .../Accounts/{AccountSid}/Messages.json</c>).
/// Delivery problems come back as <see cref="SendResult.Failed"/>; only cancellation throws.
/// </summary>
internal sealed partial class TwilioMessageProvider : IMessageProvider
{
    /// <summary>The provider name senders refer to.</summary>
    internal const string ProviderName = "Twilio";

    /// <summary>The name of the HttpClient (and its resilience pipeline) registered for this provider.</summary>
    internal const string HttpClientName = "InCallMessaging.Twilio";

    private static readonly MediaTypeWithQualityHeaderValue AcceptJson = new("application/json");

    private readonly IHttpClientFactory _httpClientFactory;
    private readonly IOptionsMonitor<TwilioOptions> _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;

    public TwilioMessageProvider(
        IHttpClientFactory httpClientFactory,
        IOptionsMonitor<TwilioOptions> options,
        ILogger<TwilioMessageProvider>? logger = null,
        TimeProvider? timeProvider = null)
    {
        _httpClientFactory = httpClientFactory;
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The most variables a Content template takes (<c>ContentVariables</c>).</summary>
    internal const int MaxContentVariables = 100;

    public string Name => ProviderName;

    public IEnumerable<string> ValidateSender(MessageSenderOptions sender)
    {
        ArgumentNullException.ThrowIfNull(sender);
        if (sender.ServiceId is not null && !TwilioSid.Is(sender.ServiceId, TwilioSid.MessagingService))
        {
            yield return $"ServiceId '{sender.ServiceId}' must be 'MG' followed by 32 hex digits (a Twilio Messaging Service SID).";
        }
    }

    public IEnumerable<string> ValidateAction(InCallMessageAction action)
    {
        ArgumentNullException.ThrowIfNull(action);
        if (action.Template is not { } template)
        {
            yield break;
        }

        if (!TwilioSid.Is(template.TemplateId, TwilioSid.Content))
        {
            yield return $"TemplateId '{template.TemplateId}' must be 'HX' followed by 32 hex digits (the approved template's SID from Twilio Content).";
        }

        foreach (var key in template.Variables.Keys)
        {
            // The core also takes named keys (other providers' templates have them); Twilio Content's are numbered.
            if (!int.TryParse(key, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _))
            {
                yield return $"Template variable key '{key}' must be a number \"1\", \"2\", ... as in the approved Twilio Content template.";
            }
        }

        if (template.Variables.Count > MaxContentVariables)
        {
            yield return $"Template has {template.Variables.Count} variables; Twilio allows at most {MaxContentVariables}.";
        }
    }

    public async ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        cancellationToken.ThrowIfCancellationRequested();

        var options = _options.CurrentValue;
        if (TwilioMessageForm.Check(message) is { } invalid)
        {
            return Report(message, invalid, httpStatus: null, moreInfo: null);
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, options.GetMessagesUrl())
        {
            Content = new FormUrlEncodedContent(TwilioMessageForm.Build(message, StatusCallbackFor(message, options))),
        };
        request.Headers.Authorization = BasicAuthorization(options);
        request.Headers.Accept.Add(AcceptJson);
        var attempts = new TwilioAttempts();
        request.Options.Set(TwilioAttempts.Key, attempts);

        using var timeout = new CancellationTokenSource(options.RequestTimeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var client = _httpClientFactory.CreateClient(HttpClientName);
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead, linked.Token).ConfigureAwait(false);
            var body = await response.Content.ReadAsByteArrayAsync(linked.Token).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                return Accepted(message, body);
            }

            var error = Deserialize(body, TwilioJsonContext.Default.TwilioErrorResource);
            return Report(message, TwilioErrors.FromResponse(response.StatusCode, error?.Code), (int)response.StatusCode, error?.MoreInfo);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Our timeout fired (or a handler gave up on its own): the caller did not cancel, so this is a result.
            return Report(message, AfterTimeout(attempts, options.RequestTimeout), httpStatus: null, moreInfo: null);
        }
        catch (Exception failure) when (failure is not OperationCanceledException)
        {
            // The caller cancelled: that is reported by exception, whatever the transport made of it.
            cancellationToken.ThrowIfCancellationRequested();

            // Anything else (a broken connection, a handler a host added) must not break the LLM's turn.
            var requestError = (failure as HttpRequestException)?.HttpRequestError;
            var result = failure is HttpRequestException notSent && TwilioRetry.WasNotSent(notSent)
                ? TwilioErrors.Unreachable()
                : TwilioErrors.ConnectionLost();
            LogTransportFailure(_logger, requestError, attempts.Count, failure);
            return Report(message, result, httpStatus: null, moreInfo: null);
        }
    }

    /// <summary>
    /// The status callback URL with the message's client reference as <c>ref</c>: when Twilio's answer to the send never
    /// arrives (a 500, a timeout), its status callbacks still tell which send they settle.
    /// </summary>
    internal static string? StatusCallbackFor(OutboundMessage message, TwilioOptions options) =>
        options.GetStatusCallbackUrl() is { } url ? $"{url}?{StatusCallbackReference}={Uri.EscapeDataString(message.ClientReference)}" : null;

    /// <summary>The query parameter of the status callback URL that carries the client reference.</summary>
    internal const string StatusCallbackReference = "ref";

    /// <summary>The <c>Authorization: Basic</c> header: the API key when configured, else the Account SID and Auth Token.</summary>
    internal static AuthenticationHeaderValue BasicAuthorization(TwilioOptions options)
    {
        var credentials = options.UsesApiKey
            ? $"{options.ApiKeySid}:{options.ApiKeySecret}"
            : $"{options.AccountSid}:{options.AuthToken}";
        return new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
    }

    /// <summary>
    /// What a timeout means depends on when it fired: with a request out, the message may exist; while waiting to retry
    /// after a 429/503 or a refused connection, it certainly does not.
    /// </summary>
    private static SendResult AfterTimeout(TwilioAttempts attempts, TimeSpan timeout) => attempts.Last switch
    {
        TwilioAttemptOutcome.Answered when TwilioRetry.IsRetryableStatus(attempts.LastStatus) => TwilioErrors.FromResponse(attempts.LastStatus, code: null),
        TwilioAttemptOutcome.NotSent => TwilioErrors.Unreachable(),
        _ => TwilioErrors.TimedOut(timeout),
    };

    private SendResult Accepted(OutboundMessage message, byte[] body)
    {
        var resource = Deserialize(body, TwilioJsonContext.Default.TwilioMessageResource);
        if (string.IsNullOrEmpty(resource?.Sid))
        {
            // Twilio created the message; reporting a failure would invite the LLM to send it twice.
            LogUnreadableAnswer(_logger, message.SenderName, Redact.Phone(message.To));
            return SendResult.Sent(message.ClientReference, resource?.Status);
        }

        LogSent(_logger, message.Channel, message.SenderName, Redact.Phone(message.To), resource.Sid, resource.Status);
        return SendResult.Sent(resource.Sid, resource.Status);
    }

    private SendResult Report(OutboundMessage message, SendResult result, int? httpStatus, string? moreInfo)
    {
        LogFailed(_logger, message.Channel, message.SenderName, Redact.Phone(message.To), result.Failure, result.ErrorCode, httpStatus, moreInfo);
        return result;
    }

    private static T? Deserialize<T>(byte[] body, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo)
        where T : class
    {
        if (body.Length == 0)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(body, typeInfo);
        }
        catch (JsonException)
        {
            // A proxy's HTML error page or a truncated answer: map by HTTP status alone.
            return null;
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Twilio accepted the {Channel} message of sender {Sender} to {To}: {MessageSid} ({Status}).")]
    private static partial void LogSent(ILogger logger, MessageChannel channel, string sender, string to, string messageSid, string? status);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Twilio {Channel} message of sender {Sender} to {To} not sent: {Reason}, Twilio error {ErrorCode}, HTTP {HttpStatus} {MoreInfo}.")]
    private static partial void LogFailed(ILogger logger, MessageChannel channel, string sender, string to, SendFailureReason? reason, string? errorCode, int? httpStatus, string? moreInfo);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Twilio request failed ({HttpRequestError}) after {Attempts} attempt(s).")]
    private static partial void LogTransportFailure(ILogger logger, HttpRequestError? httpRequestError, int attempts, Exception exception);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Twilio accepted the message of sender {Sender} to {To} but its answer had no readable sid.")]
    private static partial void LogUnreadableAnswer(ILogger logger, string sender, string to);
}
