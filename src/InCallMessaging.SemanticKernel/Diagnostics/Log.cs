using Microsoft.Extensions.Logging;

namespace InCallMessaging.SemanticKernel;

/// <summary>
/// The plugin's hot-path log messages, source-generated so a disabled level costs nothing. Personal data is masked here,
/// and only when the level is enabled, so masking never allocates on a quiet logger.
/// </summary>
internal static partial class Log
{
    public static void MessageSent(ILogger logger, bool mask, string action, string callId, string messageId, string? text, string to)
    {
        if (logger.IsEnabled(LogLevel.Information))
        {
            MessageSentCore(logger, action, callId, messageId, Redact.Text(text, mask), Redact.Phone(to, mask));
        }
    }

    public static void SendFailed(ILogger logger, bool mask, string action, string callId, string to, string reason, string? code)
    {
        if (logger.IsEnabled(LogLevel.Warning))
        {
            SendFailedCore(logger, action, callId, Redact.Phone(to, mask), reason, code);
        }
    }

    public static void ReplyDelivered(ILogger logger, bool mask, string messageId, string text, string caller, string callId,
        IReadOnlyList<InboundMedia> media)
    {
        if (!logger.IsEnabled(LogLevel.Information))
        {
            return;
        }

        if (media.Count == 0)
        {
            ReplyDeliveredCore(logger, messageId, Redact.Text(text, mask), Redact.Phone(caller, mask), callId);
            return;
        }

        // Content types only: a media URL may open the caller's picture.
        var types = new string[media.Count];
        for (var i = 0; i < types.Length; i++)
        {
            types[i] = media[i].ContentType;
        }

        ReplyWithMediaDeliveredCore(logger, messageId, Redact.Text(text, mask), media.Count, string.Join(", ", types),
            Redact.Phone(caller, mask), callId);
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Action {Action} on call {CallId}: sent {MessageId} {Text} to {To}.")]
    private static partial void MessageSentCore(ILogger logger, string action, string callId, string messageId, string text, string to);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "Action {Action} on call {CallId}: send to {To} failed ({Reason}, code {Code}).")]
    private static partial void SendFailedCore(ILogger logger, string action, string callId, string to, string reason, string? code);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "Action {Action} blocked: {Reason}.")]
    public static partial void ActionBlocked(ILogger logger, string action, string reason);

    [LoggerMessage(EventId = 103, Level = LogLevel.Information, Message = "Action {Action} on call {CallId}: wait ended ({Outcome}).")]
    public static partial void WaitEnded(ILogger logger, string action, string callId, string outcome);

    [LoggerMessage(EventId = 130, Level = LogLevel.Information, Message = "Action {Action} on call {CallId}: the caller spoke of something else; the action returned and its wait goes on in the background.")]
    public static partial void WaitContinuesInBackground(ILogger logger, string action, string callId);

    [LoggerMessage(EventId = 104, Level = LogLevel.Error, Message = "Action {Action} was invoked on a kernel with no call session; bind one with kernel.WithCallSession(session).")]
    public static partial void NoCallSession(ILogger logger, string action);

    [LoggerMessage(EventId = 105, Level = LogLevel.Information, Message = "Action {Action} on call {CallId} sent nothing: missing {Missing}.")]
    public static partial void MissingValues(ILogger logger, string action, string callId, string missing);

    [LoggerMessage(EventId = 109, Level = LogLevel.Information, Message = "Action {Action} on call {CallId} sent nothing: invalid arguments {Fields}.")]
    public static partial void InvalidArguments(ILogger logger, string action, string callId, string fields);

    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Reply {MessageId} {Text} from {Caller} delivered to call {CallId}.")]
    private static partial void ReplyDeliveredCore(ILogger logger, string messageId, string text, string caller, string callId);

    [LoggerMessage(EventId = 203, Level = LogLevel.Information, Message = "Reply {MessageId} {Text} with {MediaCount} attachment(s) ({ContentTypes}) from {Caller} delivered to call {CallId}.")]
    private static partial void ReplyWithMediaDeliveredCore(ILogger logger, string messageId, string text, int mediaCount, string contentTypes, string caller, string callId);

    [LoggerMessage(EventId = 204, Level = LogLevel.Warning, Message = "Inbound {MessageId}: {Dropped} attachment(s) left out: a URL that is not absolute http(s), has user info, or past the first {Limit}.")]
    public static partial void MediaDropped(ILogger logger, string messageId, int dropped, int limit);

    [LoggerMessage(EventId = 202, Level = LogLevel.Warning, Message = "Call {CallId} received more texts than MaxPendingReplyLines ({Limit}) between two turns; the oldest lines of its pending transcript are being dropped (reported once until the next turn).")]
    public static partial void ReplyLinesDropped(ILogger logger, string callId, int limit);

    [LoggerMessage(EventId = 201, Level = LogLevel.Debug, Message = "Inbound {MessageId} was delivered before; ignored.")]
    public static partial void DuplicateInbound(ILogger logger, string messageId);
}
