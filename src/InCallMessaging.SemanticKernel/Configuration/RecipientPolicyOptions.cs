namespace InCallMessaging.SemanticKernel;

/// <summary>
/// Who an action may text other than the caller, when its recipient comes from a template (<see cref="InCallMessageAction.ToPhoneNumber"/>)
/// and so, possibly, from the model. Guards against SMS-pumping fraud: a prompt-injected model texting premium-rate or
/// far-away numbers at the business's expense. The caller's own number is always allowed.
/// </summary>
public sealed class RecipientPolicyOptions
{
    /// <summary>The number types blocked when no <see cref="BlockedNumberTypes"/> are configured.</summary>
    public static readonly IReadOnlyList<string> DefaultBlockedNumberTypes =
        ["PremiumRate", "SharedCost", "PersonalNumber", "Pager", "Uan", "Voicemail"];

    /// <summary>
    /// The country calling codes (such as <c>1</c>, <c>44</c>) a templated recipient may have. When empty, the caller's
    /// and the sending number's country codes are allowed.
    /// </summary>
    public List<int> AllowedCountryCodes { get; set; } = [];

    /// <summary>
    /// The number types (as libphonenumber classifies them: <c>PremiumRate</c>, <c>SharedCost</c>, <c>PersonalNumber</c>,
    /// <c>Pager</c>, <c>Uan</c>, <c>Voicemail</c>, <c>TollFree</c>, <c>Voip</c>, <c>FixedLine</c>, <c>Unknown</c>, ...)
    /// that are never texted. <see langword="null"/> blocks <see cref="DefaultBlockedNumberTypes"/>; an empty list blocks none.
    /// </summary>
    public List<string>? BlockedNumberTypes { get; set; }

    /// <summary>The most distinct numbers one call may text, the caller included.</summary>
    /// <value>The default value is 3.</value>
    public int MaxRecipientsPerCall { get; set; } = 3;
}
