using System.Xml.Linq;

namespace VoiceBotHost.ConversationRelay;

/// <summary>
/// The TwiML that hands a call to this host: <c>&lt;Connect&gt;&lt;ConversationRelay url="wss://.../voice/relay"&gt;</c>
/// with the call's details as <c>&lt;Parameter&gt;</c>s, which come back in the <c>setup</c> message's
/// <c>customParameters</c>. Built with XElement, so every value is escaped.
/// </summary>
public static class ConversationRelayTwiml
{
    public static string Connect(Uri relayUrl, string welcomeGreeting, IReadOnlyDictionary<string, string> attributes,
        IEnumerable<KeyValuePair<string, string>> parameters)
    {
        var relay = new XElement("ConversationRelay",
            new XAttribute("url", relayUrl.AbsoluteUri),
            new XAttribute("welcomeGreeting", welcomeGreeting));
        foreach (var (name, value) in attributes)
        {
            if (name is not ("url" or "welcomeGreeting"))
            {
                relay.SetAttributeValue(name, value);
            }
        }

        foreach (var (name, value) in parameters)
        {
            relay.Add(new XElement("Parameter", new XAttribute("name", name), new XAttribute("value", value)));
        }

        var document = new XDocument(new XDeclaration("1.0", "UTF-8", null), new XElement("Response", new XElement("Connect", relay)));
        return document.Declaration + document.ToString(SaveOptions.DisableFormatting);
    }
}
