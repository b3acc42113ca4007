using System.Net;
using System.Net.Http.Headers;
using System.Text;
using InCallMessaging.SemanticKernel;
using InCallMessaging.Twilio;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace InCallMessaging.Meta.Tests.Media;

/// <summary>
/// Both providers in one host: the reply-media fetcher keeps Twilio's Basic credentials for Twilio's media URLs and
/// adds the bearer token for Meta's, each to its own hosts only; the order that would lose Twilio's fails at start-up.
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

    [Fact]
    public async Task Twilio_then_Meta_each_providers_media_get_their_own_credentials_and_nothing_else_does()
    {
        var network = new RecordingHandler();
        var services = new ServiceCollection();
        services.AddInCallMessagingTwilio(Twilio);
        services.AddInCallMessagingMetaWhatsApp(Meta);
        services.AddHttpClient("InCallMessaging.ReplyMedia").ConfigurePrimaryHttpMessageHandler(() => network);
        await using var provider = services.BuildServiceProvider();
        _ = provider.GetRequiredService<IOptions<MetaWhatsAppOptions>>().Value;
        var fetcher = provider.GetRequiredService<IReplyMediaFetcher>();

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

    [Fact]
    public async Task Meta_before_Twilio_fails_at_start_up_naming_the_order_to_use()
    {
        var services = new ServiceCollection();
        services.AddInCallMessagingMetaWhatsApp(Meta);
        services.AddInCallMessagingTwilio(Twilio);
        await using var provider = services.BuildServiceProvider();

        var failure = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<MetaWhatsAppOptions>>().Value);

        Assert.Contains("call AddInCallMessagingMetaWhatsApp after AddInCallMessagingTwilio", failure.Message, StringComparison.Ordinal);
    }

    /// <summary>Records (host, Authorization) of each request; Graph's media object points at Meta's media host, everything else is a JPEG.</summary>
    private sealed class RecordingHandler : HttpMessageHandler
    {
        public List<(string Host, string Authorization)> Requests { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var url = request.RequestUri!;
            lock (Requests)
            {
                Requests.Add((url.Host, request.Headers.Authorization?.ToString() ?? ""));
            }

            var response = new HttpResponseMessage(HttpStatusCode.OK);
            if (url.Host == "graph.facebook.com")
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
