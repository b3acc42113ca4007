using System.Security.Cryptography;
using System.Text;
using InCallMessaging.SemanticKernel;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace InCallMessaging.Meta;

/// <summary>
/// The Cloud API webhook: <c>GET</c> answers the subscription's verification challenge, <c>POST</c> checks
/// <c>X-Hub-Signature-256</c> over the raw body and hands every message and status of the batch to the reply hub. It
/// answers 200 only once all of them are recorded (the hub deduplicates by <c>wamid</c>, so Meta's redeliveries do
/// nothing), and 503 when the state store is down, so Meta sends the batch again.
/// </summary>
internal sealed partial class MetaWebhookEndpoints(IServiceProvider services)
{
    /// <summary>The logger category of the Meta webhook.</summary>
    internal const string LogCategory = "InCallMessaging.Meta.Webhook";

    private readonly IOptionsMonitor<MetaWhatsAppOptions> _options = services.GetRequiredService<IOptionsMonitor<MetaWhatsAppOptions>>();
    private readonly IOptionsMonitor<InCallMessagingOptions>? _plugin = services.GetService<IOptionsMonitor<InCallMessagingOptions>>();
    private readonly TimeProvider _time = services.GetService<TimeProvider>() ?? TimeProvider.System;
    private readonly ILogger _logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(LogCategory);

    // Resolved from the application's services, not the request's: a delivery is never cut short with its request.
    private readonly Lazy<IReplyHub> _hub = new(services.GetRequiredService<IReplyHub>);

    /// <summary><c>GET {pattern}</c>: the verification request Meta sends when the webhook is subscribed.</summary>
    public IResult Verify(HttpContext context)
    {
        var query = context.Request.Query;
        var mode = query["hub.mode"].ToString();
        var token = query["hub.verify_token"].ToString();
        var challenge = query["hub.challenge"].ToString();
        var expected = _options.CurrentValue.VerifyToken ?? "";
        if (mode != "subscribe" || expected.Length == 0
            || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(expected)))
        {
            LogRejected(_logger, context.Request.Method, StatusCodes.Status403Forbidden, "hub.mode is not 'subscribe' or hub.verify_token does not match VerifyToken");
            return Results.Text("Verification failed.", "text/plain", Encoding.UTF8, StatusCodes.Status403Forbidden);
        }

        if (challenge.Length == 0)
        {
            return Reject(context, StatusCodes.Status400BadRequest, "hub.challenge is missing.");
        }

        LogVerified(_logger);
        return Results.Text(challenge, "text/plain", Encoding.UTF8, StatusCodes.Status200OK);
    }

    /// <summary><c>POST {pattern}</c>: a signed batch of messages and statuses.</summary>
    public async Task<IResult> ReceiveAsync(HttpContext context)
    {
        var options = _options.CurrentValue;
        var request = context.Request;
        var header = request.Headers[MetaSignature.HeaderName].ToString();
        if (header.Length == 0)
        {
            // Before the body is read: an unsigned request costs nothing.
            return Reject(context, StatusCodes.Status403Forbidden, $"Missing {MetaSignature.HeaderName} header.");
        }

        var body = await ReadBodyAsync(request, options.MaxWebhookBodyBytes, context.RequestAborted);
        if (body is null)
        {
            return Reject(context, StatusCodes.Status413PayloadTooLarge, $"The body is larger than {options.MaxWebhookBodyBytes} bytes.");
        }

        if (!MetaSignature.IsValid(body, header, options.AppSecret ?? ""))
        {
            return Reject(context, StatusCodes.Status403Forbidden, $"Invalid {MetaSignature.HeaderName} header.");
        }

        var now = _time.GetUtcNow();
        var mediaBase = new Uri($"{options.ApiBaseUrl.AbsoluteUri.TrimEnd('/')}/{options.GraphApiVersion}/");
        if (!MetaWebhookParser.TryParse(body, mediaBase, now, out var batch, out var problem))
        {
            return Reject(context, StatusCodes.Status400BadRequest, problem!);
        }

        foreach (var skipped in batch.Skipped)
        {
            LogSkipped(_logger, skipped);
        }

        foreach (var field in batch.OtherFields)
        {
            LogOtherField(_logger, field);
        }

        try
        {
            // Not cancelled with the request: once the hub marks a message as seen, an abandoned delivery would turn
            // Meta's retry into a "duplicate" and the reply would be lost.
            foreach (var message in batch.Messages)
            {
                var outcome = await _hub.Value.DeliverAsync(message, CancellationToken.None);
                LogInbound(_logger, message.MessageId, Redact.Phone(message.From, Mask), message.Text.Length, message.Media.Count, outcome);
            }

            foreach (var update in batch.Statuses)
            {
                var outcome = await _hub.Value.ApplyStatusAsync(update, CancellationToken.None);
                LogStatus(_logger, update.MessageId, update.Status, update.ErrorCode, outcome);
            }
        }
        catch (StateStoreException ex)
        {
            // Nothing of the unrecorded rest is marked as seen: Meta's redelivery of the whole batch completes it.
            LogStoreDown(_logger, ex.Message);
            context.Response.Headers.RetryAfter = "5";
            return Results.Text("The batch could not be recorded just now; retry later.", "text/plain", Encoding.UTF8, StatusCodes.Status503ServiceUnavailable);
        }

        return Results.Text("OK", "text/plain", Encoding.UTF8, StatusCodes.Status200OK);
    }

    private bool Mask => _plugin?.CurrentValue.MaskPersonalData ?? true;

    private IResult Reject(HttpContext context, int statusCode, string problem)
    {
        LogRejected(_logger, context.Request.Method, statusCode, problem);
        return Results.Text(problem, "text/plain", Encoding.UTF8, statusCode);
    }

    /// <summary>The raw body, or <see langword="null"/> when it is larger than <paramref name="maxBytes"/>.</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes)
        {
            return null;
        }

        using var buffer = new MemoryStream(request.ContentLength is { } length ? (int)length : 4096);
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Meta webhook verified (subscription challenge answered).")]
    private static partial void LogVerified(ILogger logger);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Meta webhook {Method} answered {StatusCode}: {Problem}")]
    private static partial void LogRejected(ILogger logger, string method, int statusCode, string problem);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Inbound WhatsApp message {MessageId} from {From} through Meta ({TextLength} chars, {MediaCount} media): {Outcome}.")]
    private static partial void LogInbound(ILogger logger, string messageId, string from, int textLength, int mediaCount, ReplyDeliveryOutcome outcome);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Meta status {Status} of {MessageId} (error {ErrorCode}): {Outcome}.")]
    private static partial void LogStatus(ILogger logger, string messageId, string status, string? errorCode, StatusUpdateOutcome outcome);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "Meta webhook item skipped: {Why}.")]
    private static partial void LogSkipped(ILogger logger, string why);

    [LoggerMessage(EventId = 7, Level = LogLevel.Debug, Message = "Meta webhook change of field '{Field}' ignored: only 'messages' concerns calls.")]
    private static partial void LogOtherField(ILogger logger, string field);

    [LoggerMessage(EventId = 6, Level = LogLevel.Error, Message = "Meta webhook answered 503: the state store could not record the batch ({Problem}).")]
    private static partial void LogStoreDown(ILogger logger, string problem);
}
