using System.Xml.Linq;
using Twilio.TwiML;
using Twilio.TwiML.Voice;
using RelayNoun = Twilio.TwiML.Voice.ConversationRelay;

namespace VoiceBotHost.ConversationRelay;

/// <summary>
/// The TwiML that hands a call to this host: <c>&lt;Connect&gt;&lt;ConversationRelay url="wss://.../voice/relay"&gt;</c>
/// with the call's details as <c>&lt;Parameter&gt;</c>s, which come back in the <c>setup</c> message's
/// <c>customParameters</c>. Built with Twilio's own TwiML classes (the <c>Twilio</c> package), which escape every value
/// and spell the attributes as Twilio documents them.
/// </summary>
public static class ConversationRelayTwiml
{
    /// <param name="attributes">More attributes of the noun, as Twilio spells them (<c>language</c>,
    /// <c>ttsProvider</c>, <c>dtmfDetection</c>...): from configuration, so any attribute Twilio adds can be used.</param>
    public static string Connect(Uri relayUrl, string welcomeGreeting, IReadOnlyDictionary<string, string> attributes,
        IEnumerable<KeyValuePair<string, string>> parameters)
    {
        var relay = new RelayNoun(url: relayUrl.AbsoluteUri, welcomeGreeting: welcomeGreeting);
        foreach (var (name, value) in attributes)
        {
            if (name is not ("url" or "welcomeGreeting"))
            {
                relay.SetOption(name, value);
            }
        }

        foreach (var (name, value) in parameters)
        {
            relay.Parameter(name: name, value: value);
        }

        var connect = new Connect();
        connect.Append(relay);
        var response = new VoiceResponse();
        response.Append(connect);
        return response.ToString(SaveOptions.DisableFormatting);
    }
}
