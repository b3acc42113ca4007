using System.Net;
using System.Net.Http.Headers;
using System.Text;
using InCallMessaging.SemanticKernel;
using InCallMessaging.Twilio;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace InCallMessaging.Meta.Tests.Media;

/// <summary>
/// Both providers in one host, registered in any order, with or without the plugin first: the one reply-media fetcher
/// sends Twilio's Basic credentials with Twilio's media URLs and the bearer token with Meta's, each to its own hosts only.
/// Twilio's and Meta's real hosts cannot be reached from tests, so the reply-media client's network handler records
/// each request and answers it.
/// </summary>
public sealed class MetaWithTwilioMediaTests
{
    private const string AccountSid = "AC0123456789abcdef0123456789abcdef";
    private const string AuthToken = "0123456789abcdef0123456789abcdef";
    private const string MetaToken = "EAAG-test-access-token";

    private static void Twilio(TwilioOptions o) => (o.AccountSid, o.AuthToken) = (AccountSid, AuthToken);

    private static void Meta(MetaWhatsAppOptions o) => o.AccessToken = MetaToken;

    /// <summary>The orders the providers (and the plugin) can be registered in.</summary>
    public static TheoryData<string> Orders => ["Twilio Meta", "Meta Twilio", "Plugin Twilio Meta", "Plugin Meta Twilio", "Meta Twilio Plugin"];

    [Theory]
    [MemberData(nameof(Orders))]
    public async Task Each_providers_media_get_their_own_credentials_and_nothing_else_does_whatever_the_order(string order)
    {
        var network = new RecordingHandler();
        var services = new ServiceCollection();
        foreach (var registration in order.Split(' '))
        {
            _ = registration switch
            {
                "Twilio" => services.AddInCallMessagingTwilio(Twilio),
                "Meta" => services.AddInCallMessagingMetaWhatsApp(Meta),
                _ => services.AddInCallMessaging(Plugin),
            };
        }

        services.AddHttpClient("InCallMessaging.ReplyMedia").ConfigurePrimaryHttpMessageHandler(() => network);
        await using var provider = services.BuildServiceProvider();
        _ = provider.GetRequiredService<IOptions<MetaWhatsAppOptions>>().Value;
        _ = provider.GetRequiredService<IOptions<TwilioOptions>>().Value;
        var fetcher = Assert.Single(provider.GetServices<IReplyMediaFetcher>());

        await fetcher.FetchAsync(new InboundMedia(new Uri($"https://api.twilio.com/2010-04-01/Accounts/{AccountSid}/Messages/MM1/Media/ME1"), "image/jpeg"));
        await fetcher.FetchAsync(new InboundMedia(new Uri("https://graph.facebook.com/v24.0/1234567890"), "image/jpeg"));
        await fetcher.FetchAsync(new InboundMedia(new Uri("https://files.example.com/photo.jpg"), "image/jpeg"));

        var basic = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{AccountSid}:{AuthToken}"));
        Assert.Collection(network.Requests,
            twilio => Assert.Equal(("api.twilio.com", basic), twilio),
            graph => Assert.Equal(("graph.facebook.com", "Bearer " + MetaToken), graph),
            download => Assert.Equal(("lookaside.fbsbx.com", "Bearer " + MetaToken), download),
            plain => Assert.Equal(("files.example.com", ""), plain));
    }

    [Theory]
    [InlineData("Twilio Meta")]
    [InlineData("Meta Twilio")]
    public async Task A_redirect_from_either_providers_media_to_the_others_host_carries_neither_credential(string order)
    {
        var network = new RecordingHandler();
        var services = new ServiceCollection();
        foreach (var registration in order.Split(' '))
        {
            _ = registration == "Twilio" ? services.AddInCallMessagingTwilio(Twilio) : services.AddInCallMessagingMetaWhatsApp(Meta);
        }

        services.AddHttpClient("InCallMessaging.ReplyMedia").ConfigurePrimaryHttpMessageHandler(() => network);
        await using var provider = services.BuildServiceProvider();
        var fetcher = provider.GetRequiredService<IReplyMediaFetcher>();

        network.Redirects["api.twilio.com"] = new Uri("https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=9");
        await fetcher.FetchAsync(new InboundMedia(new Uri($"https://api.twilio.com/2010-04-01/Accounts/{AccountSid}/Messages/MM1/Media/ME1"), "image/jpeg"));
        network.Redirects.Clear();
        network.Redirects["lookaside.fbsbx.com"] = new Uri("https://media.twilio.com/v1/Services/IS1/Media/ME9");
        await fetcher.FetchAsync(new InboundMedia(new Uri("https://graph.facebook.com/v24.0/1234567890"), "image/jpeg"));

        var basic = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{AccountSid}:{AuthToken}"));
        Assert.Collection(network.Requests,
            twilio => Assert.Equal(("api.twilio.com", basic), twilio),
            toMeta => Assert.Equal(("lookaside.fbsbx.com", ""), toMeta),
            graph => Assert.Equal(("graph.facebook.com", "Bearer " + MetaToken), graph),
            download => Assert.Equal(("lookaside.fbsbx.com", "Bearer " + MetaToken), download),
            toTwilio => Assert.Equal(("media.twilio.com", ""), toTwilio));
    }

    private static void Plugin(InCallMessagingOptions o)
    {
        o.Senders["default"] = new MessageSenderOptions { Provider = "Loopback", From = "+15005550006" };
        o.Actions.Add(new InCallMessageAction { Name = "send_summary", Description = "Text the caller a summary." });
    }

    /// <summary>
    /// Records (host, Authorization) of each request; a host in <see cref="Redirects"/> answers 302 to its target, Graph's
    /// media object points at Meta's media host, everything else is a JPEG.
    /// </summary>
    private sealed class RecordingHandler : HttpMessageHandler
    {
        public List<(string Host, string Authorization)> Requests { get; } = [];

        public Dictionary<string, Uri> Redirects { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var url = request.RequestUri!;
            lock (Requests)
            {
                Requests.Add((url.Host, request.Headers.Authorization?.ToString() ?? ""));
            }

            var response = new HttpResponseMessage(HttpStatusCode.OK);
            if (Redirects.TryGetValue(url.Host, out var target))
            {
                response.StatusCode = HttpStatusCode.Found;
                response.Headers.Location = target;
            }
            else if (url.Host == "graph.facebook.com")
            {
                response.Content = new StringContent(
                    """{"messaging_product":"whatsapp","url":"https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1234567890&hash=x","mime_type":"image/jpeg","file_size":3,"id":"1234567890"}""",
                    Encoding.UTF8, "application/json");
            }
            else
            {
                response.Content = new ByteArrayContent([0xFF, 0xD8, 0xFF]);
                response.Content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            }

            return Task.FromResult(response);
        }
    }
}
