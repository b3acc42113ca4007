using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using InCallMessaging.SemanticKernel;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace InCallMessaging.Meta;

/// <summary>
/// Sends WhatsApp messages through Meta's Cloud API (<c>POST /{version}/{phone-number-id}/messages</c>, bearer token).
/// A send is retried only when Meta provably did not take it (its rate limits 130429 and 131056, or no connection), with
/// backoff inside <see cref="MetaWhatsAppOptions.RequestTimeout"/>; delivery problems come back as
/// <see cref="SendResult.Failed"/>, and only cancellation throws.
/// </summary>
internal sealed partial class MetaMessageProvider : IMessageProvider
{
    /// <summary>The provider name senders refer to.</summary>
    internal const string ProviderName = "Meta";

    /// <summary>The name of the HttpClient registered for this provider.</summary>
    internal const string HttpClientName = "InCallMessaging.Meta";

    private static readonly MediaTypeHeaderValue Json = new("application/json") { CharSet = "utf-8" };

    private readonly IHttpClientFactory _httpClientFactory;
    private readonly IOptionsMonitor<MetaWhatsAppOptions> _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    public MetaMessageProvider(
        IHttpClientFactory httpClientFactory,
        IOptionsMonitor<MetaWhatsAppOptions> options,
        ILogger<MetaMessageProvider>? logger = null,
        TimeProvider? timeProvider = null)
    {
        _httpClientFactory = httpClientFactory;
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
    }

    public string Name => ProviderName;

    public IEnumerable<string> ValidateSender(MessageSenderOptions sender)
    {
        ArgumentNullException.ThrowIfNull(sender);
        if (string.IsNullOrWhiteSpace(sender.ServiceId))
        {
            yield return "ServiceId is missing: set it to the WhatsApp phone number ID (digits, shown in WhatsApp Manager > Phone numbers, or the App Dashboard's API Setup).";
        }
        else if (!sender.ServiceId.All(char.IsAsciiDigit))
        {
            yield return $"ServiceId '{sender.ServiceId}' must be the WhatsApp phone number ID, digits only (not the phone number itself).";
        }

        if (sender.From is null)
        {
            yield return "From is missing: set the business phone number in E.164 (such as +14155550199), so the caller's replies find this sender.";
        }
    }

    public IEnumerable<string> ValidateAction(InCallMessageAction action)
    {
        ArgumentNullException.ThrowIfNull(action);
        if (action.Channel != MessageChannel.WhatsApp)
        {
            yield return "Channel must be WhatsApp: the Meta provider sends WhatsApp messages only (use another sender for SMS).";
        }

        if (action.Template is not { } template)
        {
            yield break;
        }

        if (!MetaTemplateName.TryParse(template.TemplateId, out _, out _))
        {
            yield return $"TemplateId '{template.TemplateId}' must be the approved template's name (lowercase letters, digits, '_'), optionally followed by ':' and its language, such as order_ready or order_ready:es_MX.";
        }

        foreach (var problem in MetaTemplateVariables.Check(template.Variables.Keys))
        {
            yield return problem;
        }
    }

    public async ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        cancellationToken.ThrowIfCancellationRequested();

        var options = _options.CurrentValue;
        if (message.Channel != MessageChannel.WhatsApp)
        {
            return Report(message, MetaErrors.NotSendable("The Meta provider sends WhatsApp messages only, so nothing was sent; use an SMS sender or read the content aloud."), null);
        }

        var body = MetaMessageRequest.Build(message, options, out var problem);
        if (problem is not null)
        {
            return Report(message, MetaErrors.NotSendable(problem), null);
        }

        var url = options.GetMessagesUrl(message.Sender.ServiceId ?? "");
        var client = _httpClientFactory.CreateClient(HttpClientName);
        var deadline = _time.GetUtcNow() + options.RequestTimeout;
        using var timeout = new CancellationTokenSource(options.RequestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        for (var attempt = 1; ; attempt++)
        {
            var outcome = await AttemptAsync(client, url, body, options, message, linked.Token, cancellationToken).ConfigureAwait(false);
            if (!outcome.Retryable || attempt > options.MaxRetries)
            {
                return outcome.Result;
            }

            // Meta took nothing: wait (4^n backoff, at least 6 s after the pair limit) if that still fits the budget.
            var delay = options.RetryBaseDelay * Math.Pow(4, attempt - 1);
            if (outcome.Result.ErrorCode == MetaErrors.PairRateLimitCode && delay < options.PairRateLimitDelay)
            {
                delay = options.PairRateLimitDelay;
            }

            if (_time.GetUtcNow() + delay >= deadline)
            {
                return outcome.Result;
            }

            LogRetry(_logger, message.SenderName, Redact.Phone(message.To), outcome.Result.ErrorCode ?? "no connection", attempt, delay.TotalMilliseconds);
            try
            {
                await Task.Delay(delay, _time, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return outcome.Result;
            }
        }
    }

    /// <summary>One request; <c>Retryable</c> when its outcome proves Meta did not take the message.</summary>
    private async Task<(SendResult Result, bool Retryable)> AttemptAsync(HttpClient client, Uri url, byte[] body, MetaWhatsAppOptions options,
        OutboundMessage message, CancellationToken token, CancellationToken callerToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = Json;
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.AccessToken);
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead, token).ConfigureAwait(false);
            var answer = await response.Content.ReadAsByteArrayAsync(token).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                return (Accepted(message, answer), false);
            }

            var error = MetaError.Read(answer);
            var result = MetaErrors.FromResponse(response.StatusCode, error?.Code);
            LogFailed(_logger, message.SenderName, Redact.Phone(message.To), result.Failure, error?.Code, error?.Subcode, (int)response.StatusCode, error?.TraceId);
            return (result, MetaErrors.IsRateLimit(error?.Code));
        }
        catch (OperationCanceledException) when (!callerToken.IsCancellationRequested)
        {
            // Our timeout fired while the request was out: Meta may have taken it.
            return (Report(message, MetaErrors.TimedOut(options.RequestTimeout), null), false);
        }
        catch (Exception failure) when (failure is not OperationCanceledException)
        {
            callerToken.ThrowIfCancellationRequested();
            var requestError = (failure as HttpRequestException)?.HttpRequestError;
            var notSent = failure is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError
                or HttpRequestError.SecureConnectionError or HttpRequestError.ProxyTunnelError };
            LogTransportFailure(_logger, requestError, failure);
            return notSent
                ? (Report(message, MetaErrors.Unreachable(), null), true)
                : (Report(message, MetaErrors.ConnectionLost(), null), false);
        }
    }

    private SendResult Accepted(OutboundMessage message, byte[] answer)
    {
        string? id = null;
        string? status = null;
        try
        {
            using var document = JsonDocument.Parse(answer);
            if (document.RootElement.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array
                && messages.GetArrayLength() > 0 && messages[0].ValueKind == JsonValueKind.Object)
            {
                id = messages[0].TryGetProperty("id", out var idElement) && idElement.ValueKind == JsonValueKind.String ? idElement.GetString() : null;
                status = messages[0].TryGetProperty("message_status", out var statusElement) && statusElement.ValueKind == JsonValueKind.String
                    ? statusElement.GetString() : null;
            }
        }
        catch (JsonException)
        {
            // Meta took the message; an unreadable answer must not invite the LLM to send it twice.
        }

        if (string.IsNullOrEmpty(id))
        {
            LogUnreadableAnswer(_logger, message.SenderName, Redact.Phone(message.To));
            return SendResult.Sent(message.ClientReference, "accepted");
        }

        LogSent(_logger, message.SenderName, Redact.Phone(message.To), id, status ?? "accepted");
        return SendResult.Sent(id, MetaMessageStatus.Word(status));
    }

    private SendResult Report(OutboundMessage message, SendResult result, int? code)
    {
        LogFailed(_logger, message.SenderName, Redact.Phone(message.To), result.Failure, code, null, null, null);
        return result;
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Meta accepted the WhatsApp message of sender {Sender} to {To}: {MessageId} ({Status}).")]
    private static partial void LogSent(ILogger logger, string sender, string to, string messageId, string status);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "WhatsApp message of sender {Sender} to {To} not sent through Meta: {Reason}, error {ErrorCode} (subcode {Subcode}), HTTP {HttpStatus}, fbtrace_id {TraceId}.")]
    private static partial void LogFailed(ILogger logger, string sender, string to, SendFailureReason? reason, int? errorCode, int? subcode, int? httpStatus, string? traceId);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Meta request failed ({HttpRequestError}).")]
    private static partial void LogTransportFailure(ILogger logger, HttpRequestError? httpRequestError, Exception exception);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Meta accepted the message of sender {Sender} to {To} but its answer had no readable message id.")]
    private static partial void LogUnreadableAnswer(ILogger logger, string sender, string to);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Meta did not take the message of sender {Sender} to {To} ({Cause}); attempt {Attempt} is retried in {DelayMs} ms.")]
    private static partial void LogRetry(ILogger logger, string sender, string to, string cause, int attempt, double delayMs);
}

/// <summary>The fields of Meta's error object (<c>{"error":{"code","error_subcode","fbtrace_id",...}}</c>) this library reads.</summary>
internal sealed record MetaError(int? Code, int? Subcode, string? TraceId)
{
    /// <summary>The error of an answer's body; <see langword="null"/> when it has none (a proxy's page, a truncated answer).</summary>
    public static MetaError? Read(byte[] body)
    {
        if (body.Length == 0)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            if (!document.RootElement.TryGetProperty("error", out var error) || error.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            return new MetaError(Int(error, "code"), Int(error, "error_subcode"),
                error.TryGetProperty("fbtrace_id", out var trace) && trace.ValueKind == JsonValueKind.String ? trace.GetString() : null);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static int? Int(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) ? number : null;
}
