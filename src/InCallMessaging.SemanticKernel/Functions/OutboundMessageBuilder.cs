using InCallMessaging.SemanticKernel.Actions;
using Microsoft.Extensions.Logging;

namespace InCallMessaging.SemanticKernel.Functions;

/// <summary>
/// Builds what one action sends: free-form text or the approved WhatsApp template (the 24-hour window decides), the
/// rendered media URLs, and the key that recognizes the same text sent twice.
/// </summary>
internal sealed class OutboundMessageBuilder(CompiledAction action, TimeProvider time, ILogger logger)
{
    private MessageChannel Channel => action.Definition.Channel;

    /// <summary>The key of a message for duplicate suppression: the same channel, recipient and text (or template and values).</summary>
    public static string DuplicateKey(OutboundMessage message) =>
        message.Content is { } content
            ? $"{message.Channel}|{message.To}|{content.TemplateId}|{string.Join('|', content.Variables.Values)}"
            : $"{message.Channel}|{message.To}|{message.Body}";

    /// <summary>Free-form (<see langword="false"/>), template (<see langword="true"/>), or nothing can be sent (<see langword="null"/>).</summary>
    public bool? ChooseTemplate(ConsentRecord consent, string? text)
    {
        var hasTemplate = action.Definition.Template is not null;
        if (Channel != MessageChannel.WhatsApp)
        {
            return false;
        }

        if (text is null)
        {
            return hasTemplate ? true : null;
        }

        if (CallerConsent.IsWhatsAppWindowOpen(consent, time.GetUtcNow()))
        {
            return false;
        }

        return hasTemplate ? true : null;
    }

    public OutboundMessage Build(CallSession session, string to, string? text, bool useTemplate, List<KeyValuePair<string, object?>> values, IReadOnlyList<Uri> media)
    {
        WhatsAppContent? content = null;
        if (useTemplate)
        {
            var variables = new Dictionary<string, string>(action.ContentVariables.Count, StringComparer.Ordinal);
            foreach (var (key, template) in action.ContentVariables)
            {
                variables[key] = template.Render(values);
            }

            content = new WhatsAppContent(action.Definition.Template!.TemplateId, variables);
        }

        return new OutboundMessage
        {
            SenderName = action.SenderName,
            Sender = action.Sender,
            Channel = Channel,
            To = to,
            Body = useTemplate ? null : text,
            Content = content,
            MediaUrls = useTemplate ? [] : media,
            CallId = session.CallId,
            ActionName = action.Name,
            ClientReference = ClientReferences.Next(),
        };
    }

    /// <summary>
    /// Renders the media URL templates. Each must be an absolute <c>https://</c> URL: anything else is reported as an
    /// invalid argument, never dropped. One that renders empty (an optional value left out) attaches nothing.
    /// </summary>
    public IReadOnlyList<Uri>? RenderMediaUrls(List<KeyValuePair<string, object?>> values, out List<ArgumentProblem>? problems)
    {
        problems = null;
        if (action.MediaUrls.Count == 0)
        {
            return [];
        }

        var media = new List<Uri>(action.MediaUrls.Count);
        for (var i = 0; i < action.MediaUrls.Count; i++)
        {
            var template = action.MediaUrls[i];
            var rendered = template.Render(values).Trim();
            if (rendered.Length == 0)
            {
                logger.LogDebug("Action {Action}: MediaUrls[{Index}] rendered empty; nothing is attached for it.", action.Name, i);
            }
            else if (MediaUrl.TryParse(rendered, out var uri))
            {
                media.Add(uri);
            }
            else
            {
                var from = string.Join(", ", template.Variables.Where(action.ParameterNames.Contains));
                (problems ??= []).Add(new ArgumentProblem($"MediaUrls[{i}]",
                    $"must render to an absolute https:// URL (it rendered to '{MediaUrl.Shorten(rendered)}'){(from.Length > 0 ? $"; it is built from {from}" : "")}"));
            }
        }

        return problems is null ? media : null;
    }
}
