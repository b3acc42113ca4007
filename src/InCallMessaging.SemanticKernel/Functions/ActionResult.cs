using System.Buffers;
using System.Text.Json;

namespace InCallMessaging.SemanticKernel.Functions;

/// <summary>
/// The short JSON an action returns to the LLM: a status, the masked recipient, the message id, the reply or a reason
/// the LLM can act on. Written with <see cref="Utf8JsonWriter"/>, so reply texts are always escaped.
/// </summary>
internal readonly record struct ActionResult(
    string Status,
    MessageChannel Channel,
    string? To = null,
    string? MessageId = null,
    string? Reply = null,
    string? Reason = null,
    string? Detail = null,
    IReadOnlyList<string>? Missing = null,
    IReadOnlyList<Actions.ArgumentProblem>? Errors = null,
    IReadOnlyList<InboundMedia>? Media = null)
{
    public const string Sent = "sent";
    public const string Scheduled = "scheduled";
    public const string Replied = "replied";
    public const string AnsweredByVoice = "answered_by_voice";
    public const string Waiting = "waiting";
    public const string NoReply = "no_reply";
    public const string Failed = "failed";
    public const string Blocked = "blocked";
    public const string MissingValues = "missing_values";
    public const string InvalidArguments = "invalid_arguments";

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    public string ToJson()
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(256);
        buffer.ResetWrittenCount();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("status"u8, Status);
            writer.WriteString("channel"u8, ChannelNames.Utf8Of(Channel));
            WriteIfSet(writer, "to"u8, To);
            WriteIfSet(writer, "message_id"u8, MessageId);
            WriteIfSet(writer, "reply"u8, Reply);
            if (Media is { Count: > 0 })
            {
                writer.WritePropertyName("media"u8);
                ReplyMedia.WriteArray(writer, Media);
            }

            WriteIfSet(writer, "reason"u8, Reason);
            if (Missing is { Count: > 0 })
            {
                writer.WriteStartArray("missing"u8);
                foreach (var name in Missing)
                {
                    writer.WriteStringValue(name);
                }

                writer.WriteEndArray();
            }

            if (Errors is { Count: > 0 })
            {
                writer.WriteStartArray("errors"u8);
                foreach (var error in Errors)
                {
                    writer.WriteStartObject();
                    writer.WriteString("field"u8, error.Field);
                    writer.WriteString("problem"u8, error.Problem);
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
            }

            WriteIfSet(writer, "detail"u8, Detail);
            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteIfSet(Utf8JsonWriter writer, ReadOnlySpan<byte> name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }
}
