using System.Runtime.CompilerServices;
using InCallMessaging.SemanticKernel;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using VoiceBotHost.Llm;

namespace VoiceBotHost.Agent;

/// <summary>
/// Looks at what the caller attached to the texts that just reached the history: each attachment is fetched with
/// <see cref="IReplyMediaFetcher"/> (Twilio's credentials for Twilio's media URLs, within <c>InCallMessaging:Media</c>'s
/// size and type limits) and logged; with a real model, an image also goes to the model, so it can see the photo. The
/// transcript line alone (<c>[WhatsApp Reply]: [image/jpeg attachment]</c>) tells the offline demo model that one came.
/// </summary>
public sealed class ReplyAttachments(IReplyMediaFetcher fetcher, LlmSettings llm, ILogger<ReplyAttachments> logger)
{
    /// <summary>How many of each call's replies were looked at already.</summary>
    private readonly ConditionalWeakTable<CallSession, StrongBox<int>> _seen = [];

    /// <summary>Fetches the attachments of the replies received since the last call; returns how many images were added for the model.</summary>
    public async Task<int> AddNewAsync(CallSession call, ChatHistory history, CancellationToken cancellationToken)
    {
        var seen = _seen.GetOrCreateValue(call);
        var received = call.RepliesReceived;
        var fresh = received - seen.Value;
        seen.Value = received;
        if (fresh <= 0)
        {
            return 0;
        }

        var added = 0;
        var inbound = call.Messages.Where(m => m.Direction == MessageDirection.Inbound).ToList();
        foreach (var reply in inbound.Skip(Math.Max(0, inbound.Count - fresh)))
        {
            foreach (var media in reply.Media)
            {
                try
                {
                    var fetched = await fetcher.FetchAsync(media, cancellationToken);
                    logger.LogInformation("Call {CallId}: the caller sent a {ContentType} attachment of {Bytes} bytes.", call.CallId, fetched.ContentType, fetched.Length);
                    if (!llm.UseDemoModel && fetched.ContentType.StartsWith("image/", StringComparison.Ordinal))
                    {
                        history.Add(new ChatMessageContent(AuthorRole.User,
                        [
                            new TextContent(reply.Channel == MessageChannel.WhatsApp ? "The image the caller just sent on WhatsApp:" : "The image the caller just texted:"),
                            new ImageContent(fetched.Content, fetched.ContentType),
                        ]));
                        added++;
                    }
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    // The caller interrupted: the turn ends on its own; the line already says what came.
                    return added;
                }
                catch (ReplyMediaFetchException ex)
                {
                    // Too large, a type the model should not get, or the media server said no: the transcript line still says it came.
                    logger.LogWarning("Call {CallId}: attachment not fetched ({Reason}): {Problem}", call.CallId, ex.Reason, ex.Message);
                }
            }
        }

        return added;
    }
}
