using System.Text.Json;
using InCallMessaging.SemanticKernel;
using InCallMessaging.Twilio.Tests.TestInfrastructure;
using CreateMessageOptions = global::Twilio.Rest.Api.V2010.Account.CreateMessageOptions;
using PhoneNumber = global::Twilio.Types.PhoneNumber;

namespace InCallMessaging.Twilio.Tests.Sending;

/// <summary>
/// The Create Message form this project sends, against the one Twilio's own C# library builds for the same message
/// (<c>CreateMessageOptions.GetParams()</c>): the same names, and for each name the same values in the same order.
/// </summary>
public sealed class TwilioMessageFormParityTests
{
    private const string StatusCallback = "https://bot.example.com/twilio/status";

    // URLs in their canonical form, as Uri.AbsoluteUri writes them (see the last test for the others).
    private static readonly Uri[] Media =
    [
        new("https://cdn.example.com/menu.jpg"),
        new("https://cdn.example.com/a%20b/map.png?size=large&v=2"),
        new("https://cdn.example.com/caf%C3%A9.gif"),
    ];

    public static TheoryData<string> Cases => ["sms", "sms-callback", "whatsapp", "messaging-service", "messaging-service-and-from", "content", "content-no-variables", "media", "media-only", "whatsapp-media"];

    [Theory]
    [MemberData(nameof(Cases))]
    public void TwilioMessageForm_sends_the_fields_Twilios_library_sends(string name)
    {
        var (message, callback, options) = Case(name);

        var ours = ByName(TwilioMessageForm.Build(message, callback));
        var theirs = ByName(options.GetParams());

        // ContentVariables is a JSON string Twilio parses: the same object, however its characters are escaped.
        if (theirs.Remove("ContentVariables", out var theirVariables))
        {
            Assert.True(ours.Remove("ContentVariables", out var ourVariables), "ContentVariables is missing");
            Assert.Equal(JsonProperties(theirVariables), JsonProperties(ourVariables));
        }

        Assert.Equal(theirs, ours);
    }

    [Fact]
    public void A_media_url_that_is_not_in_canonical_form_is_sent_escaped_where_Twilios_library_sends_it_as_typed()
    {
        // Twilio's library sends Uri.OriginalString: raw spaces and non-ASCII, which are not a valid URL on the wire.
        // This project sends Uri.AbsoluteUri, the same resource written validly. A deliberate difference.
        var media = new Uri("https://cdn.example.com/café ✓.gif?q=a b");
        var message = TwilioTestHost.Sms("See it.") with { MediaUrls = [media] };

        var ours = TwilioMessageForm.Build(message, null).Single(f => f.Key == "MediaUrl").Value;
        var theirs = new CreateMessageOptions(new PhoneNumber(TwilioTestHost.CallerNumber)) { MediaUrl = [media] }
            .GetParams().Single(f => f.Key == "MediaUrl").Value;

        Assert.Equal("https://cdn.example.com/caf%C3%A9%20%E2%9C%93.gif?q=a%20b", ours);
        Assert.Equal(media.OriginalString, theirs);
    }

    private static List<KeyValuePair<string, string?>> JsonProperties(string json)
    {
        using var document = JsonDocument.Parse(json);
        return [.. document.RootElement.EnumerateObject().Select(p => new KeyValuePair<string, string?>(p.Name, p.Value.GetString()))];
    }

    private static (OutboundMessage Message, string? Callback, CreateMessageOptions Options) Case(string name)
    {
        var caller = new PhoneNumber(TwilioTestHost.CallerNumber);
        var agent = new PhoneNumber(TwilioTestHost.AgentNumber);
        var whatsAppCaller = new PhoneNumber("whatsapp:" + TwilioTestHost.CallerNumber);
        var whatsAppAgent = new PhoneNumber("whatsapp:" + TwilioTestHost.AgentNumber);
        var service = new MessageSenderOptions { Provider = "Twilio", ServiceId = TwilioTestHost.MessagingServiceSid };
        var variables = new Dictionary<string, string> { ["2"] = "3pm \"sharp\"", ["1"] = "Ada", ["10"] = "café ✓" };
        return name switch
        {
            "sms" => (TwilioTestHost.Sms(), null,
                new CreateMessageOptions(caller) { From = agent, Body = "Your code is 4821." }),
            "sms-callback" => (TwilioTestHost.Sms(), StatusCallback,
                new CreateMessageOptions(caller) { From = agent, Body = "Your code is 4821.", StatusCallback = new Uri(StatusCallback) }),
            "whatsapp" => (TwilioTestHost.WhatsApp(), StatusCallback,
                new CreateMessageOptions(whatsAppCaller) { From = whatsAppAgent, Body = "Here is your booking link.", StatusCallback = new Uri(StatusCallback) }),
            "messaging-service" => (TwilioTestHost.Sms(sender: service), StatusCallback,
                new CreateMessageOptions(caller) { MessagingServiceSid = TwilioTestHost.MessagingServiceSid, Body = "Your code is 4821.", StatusCallback = new Uri(StatusCallback) }),
            "messaging-service-and-from" => (TwilioTestHost.Sms(sender: new() { Provider = "Twilio", From = TwilioTestHost.AgentNumber, ServiceId = TwilioTestHost.MessagingServiceSid }), null,
                new CreateMessageOptions(caller) { From = agent, MessagingServiceSid = TwilioTestHost.MessagingServiceSid, Body = "Your code is 4821." }),
            "content" => (TwilioTestHost.WhatsApp(body: null, content: new WhatsAppContent(TwilioTestHost.TemplateId, variables)), StatusCallback,
                new CreateMessageOptions(whatsAppCaller)
                {
                    From = whatsAppAgent,
                    ContentSid = TwilioTestHost.TemplateId,
                    ContentVariables = """{"1":"Ada","2":"3pm \"sharp\"","10":"café ✓"}""",
                    StatusCallback = new Uri(StatusCallback),
                }),
            "content-no-variables" => (TwilioTestHost.WhatsApp(body: null, content: new WhatsAppContent(TwilioTestHost.TemplateId, new Dictionary<string, string>())), null,
                new CreateMessageOptions(whatsAppCaller) { From = whatsAppAgent, ContentSid = TwilioTestHost.TemplateId }),
            "media" => (TwilioTestHost.Sms("See the menu.") with { MediaUrls = Media }, StatusCallback,
                new CreateMessageOptions(caller) { From = agent, Body = "See the menu.", MediaUrl = [.. Media], StatusCallback = new Uri(StatusCallback) }),
            "media-only" => (TwilioTestHost.Sms(body: null) with { MediaUrls = Media[..1] }, null,
                new CreateMessageOptions(caller) { From = agent, MediaUrl = [.. Media[..1]] }),
            "whatsapp-media" => (TwilioTestHost.WhatsApp("Your map") with { MediaUrls = Media[1..2] }, null,
                new CreateMessageOptions(whatsAppCaller) { From = whatsAppAgent, Body = "Your map", MediaUrl = [.. Media[1..2]] }),
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, "no such case"),
        };
    }

    /// <summary>Each name with its values in the order sent: the order of different names does not matter on the wire.</summary>
    private static SortedDictionary<string, string> ByName(IEnumerable<KeyValuePair<string, string>> fields)
    {
        var byName = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in fields)
        {
            byName[key] = byName.TryGetValue(key, out var before) ? before + "\n" + value : value;
        }

        return byName;
    }
}
