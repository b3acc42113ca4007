
namespace InCallMessaging.SemanticKernel.Actions;

/// <summary>
/// The configured senders, checked, and the way back from an inbound message to the sender it was written to: by the
/// number it was sent to, or by the service id it came through.
/// </summary>
internal sealed class SenderDirectory
{
    private readonly Dictionary<string, string> _senderByAddress;
    private readonly Dictionary<string, string> _identityByName;

    private SenderDirectory(Dictionary<string, string> senderByAddress, Dictionary<string, string> identityByName)
    {
        _senderByAddress = senderByAddress;
        _identityByName = identityByName;
    }

    /// <summary>Checks every sender, listing the problems in <paramref name="errors"/>.</summary>
    public static SenderDirectory Build(InCallMessagingOptions options, IReadOnlyDictionary<string, IMessageProvider?> providers, List<string> errors) =>
        new(ValidateSenders(options, providers, errors),
            options.Senders.ToDictionary(s => s.Key, s => s.Value.AddressOr(s.Key), StringComparer.OrdinalIgnoreCase));

    /// <summary>
    /// The identity a caller sees for a configured sender (its number, else its service id), or for an address that is
    /// no configured sender, the address itself: what consent and the message log keep, so renaming a sender loses nothing.
    /// </summary>
    public string IdentityOf(string? senderName, string address) =>
        senderName is not null && _identityByName.TryGetValue(senderName, out var identity) ? identity : address;

    /// <summary>The sender an inbound message was written to, from its recipient address or Messaging Service.</summary>
    public string? Resolve(string to, string? serviceId)
    {
        if (_senderByAddress.TryGetValue(PhoneNumbers.NormalizeOrKeep(to), out var byNumber))
        {
            return byNumber;
        }

        return serviceId is not null && _senderByAddress.TryGetValue(serviceId, out var byService) ? byService : null;
    }

    private static Dictionary<string, string> ValidateSenders(InCallMessagingOptions options, IReadOnlyDictionary<string, IMessageProvider?> providers, List<string> errors)
    {
        var byAddress = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, sender) in options.Senders)
        {
            var label = $"Sender '{name}'";
            if (!providers.ContainsKey(sender.Provider))
            {
                errors.Add($"{label}: Provider '{sender.Provider}' is not registered; use one of {string.Join(", ", providers.Keys.Select(k => $"'{k}'"))} (Twilio needs services.AddInCallMessagingTwilio(...)).");
            }

            if (sender.From is not null)
            {
                if (PhoneNumbers.TryNormalize(sender.From, out var from))
                {
                    byAddress[from] = name;
                }
                else
                {
                    errors.Add(PhoneNumbers.HasE164Form(sender.From)
                        ? $"{label}: From '{sender.From}' is not a valid number: it has the E.164 form, but no such number exists in its country's numbering plan. Use the number your provider gave you, such as +14155550100."
                        : $"{label}: From '{sender.From}' must be a phone number in E.164 form such as +14155550100.");
                }
            }

            if (sender.ServiceId is not null)
            {
                byAddress[sender.ServiceId] = name;
            }

            // The provider's own rules (a service id's shape, an endpoint, a timeout) live with the provider.
            if (providers.TryGetValue(sender.Provider, out var provider) && provider is not null)
            {
                foreach (var problem in provider.ValidateSender(sender))
                {
                    errors.Add($"{label}: {problem}");
                }
            }

            byAddress.TryAdd(name, name);
        }

        return byAddress;
    }
}
