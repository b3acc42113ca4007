namespace InCallMessaging.SemanticKernel;

/// <summary>
/// The sentences of delivery-status transcript lines (<c>[SMS Status]: ...</c>): what happened to which action's
/// message, in words the model can pass on, with the provider's error code and meaning when it gave them.
/// </summary>
internal static class StatusLines
{
    public static string Progress(CallMessage message, DeliveryState state) =>
        $"the {Noun(message)} from {Source(message)} was {(state == DeliveryState.Read ? "read" : state == DeliveryState.Delivered ? "delivered" : "sent")}.";

    public static string Failure(CallMessage message, DeliveryStatusUpdate update) =>
        update.FailureReason == SendFailureReason.WhatsAppWindowClosed
            ? $"the {Noun(message)} from {Source(message)} was not delivered{Why(update)}: the caller's 24-hour WhatsApp window has closed, so only an approved WhatsApp template can reach them now."
            : $"the {Noun(message)} from {Source(message)} was not delivered{Why(update)}.";

    public static string TemplateSentInstead(CallMessage message) =>
        $"the {Noun(message)} from {Source(message)} was not delivered as free text because the caller's 24-hour WhatsApp window had closed; its approved template was sent instead.";

    public static string TemplateFailedToo(CallMessage message, DeliveryStatusUpdate update) =>
        $"the {Noun(message)} from {Source(message)} was not delivered{Why(update)} because the caller's 24-hour WhatsApp window had closed, and sending its approved template instead failed too.";

    /// <summary>The label a status line starts with.</summary>
    public static string Label(MessageChannel channel) => ChannelNames.StatusLabel(channel);

    private static string Noun(CallMessage message) => message.Channel == MessageChannel.WhatsApp ? "WhatsApp message" : "text";

    private static string Source(CallMessage message) => message.ActionName ?? "this call";

    private static string Why(DeliveryStatusUpdate update) => (update.ErrorCode, update.ErrorMessage) switch
    {
        ({ } code, { Length: > 0 } meaning) => $" ({code}: {meaning})",
        ({ } code, _) => $" (error {code})",
        (null, { Length: > 0 } meaning) => $" ({meaning})",
        _ => "",
    };
}
