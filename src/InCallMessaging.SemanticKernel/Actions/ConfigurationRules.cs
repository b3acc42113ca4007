using System.Text.RegularExpressions;

namespace InCallMessaging.SemanticKernel.Actions;

/// <summary>The rules on the plugin's own settings (limits, retention, the recipient policy) and on action names.</summary>
internal static partial class ConfigurationRules
{
    private const int MaxToolNameLength = 64;

    /// <summary>The most deliveries the deduplication store may reserve room for (about 2 GB).</summary>
    internal const int MaxDeduplicationCapacity = 50_000_000;

    public static void ValidateGlobals(InCallMessagingOptions options, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(options.PluginName) || !PluginNamePattern().IsMatch(options.PluginName))
        {
            errors.Add($"PluginName '{options.PluginName}' must be letters, digits and '_' only (for example 'messaging').");
        }

        if (options.MaxMessagesPerCall < 1)
        {
            errors.Add($"MaxMessagesPerCall is {options.MaxMessagesPerCall}: set it to 1 or more (default 5).");
        }

        if (options.DuplicateSuppressionWindow < TimeSpan.Zero)
        {
            errors.Add("DuplicateSuppressionWindow must not be negative: use 00:00:00 to turn it off.");
        }

        if (options.EndedCallRetention <= TimeSpan.Zero)
        {
            errors.Add("EndedCallRetention must be positive (default 24:00:00) so late replies still find their call.");
        }

        if (options.EvictionInterval <= TimeSpan.Zero)
        {
            errors.Add("EvictionInterval must be positive (default 00:01:00).");
        }

        if (options.ScheduledTextSweepInterval < TimeSpan.FromSeconds(1) || options.ScheduledTextSweepInterval > TimeSpan.FromHours(1))
        {
            errors.Add("ScheduledTextSweepInterval must be between 00:00:01 and 01:00:00 (default 00:01:00).");
        }

        if (options.MaxReplyLength < 1)
        {
            errors.Add("MaxReplyLength must be 1 or more (default 1000).");
        }

        if (options.DeduplicationCapacity is < 0 or > MaxDeduplicationCapacity)
        {
            errors.Add($"DeduplicationCapacity is {options.DeduplicationCapacity}: set it between 0 (grow as needed, the default) and {MaxDeduplicationCapacity:N0}.");
        }

        if (options.MaxReceivedMessagesPerCall < 1)
        {
            errors.Add($"MaxReceivedMessagesPerCall is {options.MaxReceivedMessagesPerCall}: set it to 1 or more (default 50).");
        }

        if (options.MaxPendingReplyLines < 1)
        {
            errors.Add($"MaxPendingReplyLines is {options.MaxPendingReplyLines}: set it to 1 or more (default 10).");
        }

        var policy = options.RecipientPolicy ?? new RecipientPolicyOptions();
        foreach (var code in policy.AllowedCountryCodes.Where(c => !PhoneNumbers.IsCountryCode(c)))
        {
            errors.Add($"RecipientPolicy.AllowedCountryCodes: {code} is not a country calling code (write 44 for the United Kingdom, without '+').");
        }

        foreach (var type in (policy.BlockedNumberTypes ?? []).Where(t => !PhoneNumbers.TryParseNumberType(t, out _)))
        {
            errors.Add($"RecipientPolicy.BlockedNumberTypes: '{type}' is not a number type; use {string.Join(", ", RecipientPolicyOptions.DefaultBlockedNumberTypes)}, TollFree, Voip, FixedLine, Mobile or Unknown.");
        }

        if (policy.MaxRecipientsPerCall < 1)
        {
            errors.Add($"RecipientPolicy.MaxRecipientsPerCall is {policy.MaxRecipientsPerCall}: set it to 1 or more (default 3).");
        }

        if (options.Actions.Count == 0)
        {
            errors.Add("Actions is empty: configure at least one action under InCallMessaging:Actions.");
        }
    }

    public static void ValidateName(string pluginName, InCallMessageAction action, string label, HashSet<string> seen, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(action.Name))
        {
            errors.Add($"{label}: Name is required: it becomes the function name (letters, digits, '_' or '-').");
            return;
        }

        if (!FunctionNamePattern().IsMatch(action.Name))
        {
            errors.Add($"{label}: Name must contain only letters, digits, '_' or '-' (for example 'send_otp').");
        }

        if (pluginName.Length + 1 + action.Name.Length > MaxToolNameLength)
        {
            errors.Add($"{label}: Name is too long: plugin name '{pluginName}' + 1 + name must be at most {MaxToolNameLength} characters (it is {pluginName.Length + 1 + action.Name.Length}); shorten the name.");
        }

        if (!seen.Add(action.Name))
        {
            errors.Add($"{label}: Name is used by another action; action names must be unique (case-insensitive).");
        }
    }

    [GeneratedRegex("^[0-9A-Za-z_]+$")]
    private static partial Regex PluginNamePattern();

    [GeneratedRegex("^[0-9A-Za-z_-]+$")]
    private static partial Regex FunctionNamePattern();
}
