namespace InCallMessaging.Meta.Tests.Media;

/// <summary>Which URLs are a Meta media object's, and which hosts the access token may go to.</summary>
public sealed class MetaMediaUrlsTests
{
    private static readonly MetaWhatsAppOptions Options = new() { AccessToken = "EAAG-token" };

    [Theory]
    [InlineData("https://graph.facebook.com/v24.0/1234567890", "1234567890")]
    [InlineData("https://graph.facebook.com/v23.0/42", "42")]
    [InlineData("https://graph.facebook.com/v24.0/1234567890?fields=url", null)]
    [InlineData("https://graph.facebook.com/v24.0/106540352242922/messages", null)]
    [InlineData("https://graph.facebook.com/1234567890", null)]
    [InlineData("https://graph.facebook.com:8443/v24.0/1234567890", null)]
    [InlineData("http://graph.facebook.com/v24.0/1234567890", null)]
    [InlineData("https://graph.facebook.com.example.com/v24.0/1234567890", null)]
    [InlineData("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1", null)]
    public void Only_a_media_objects_url_on_the_configured_graph_host_is_Metas(string url, string? mediaId)
    {
        var isMeta = MetaMediaUrls.TryGetMediaId(new Uri(url), Options, out var id);

        Assert.Equal(mediaId is not null, isMeta);
        Assert.Equal(mediaId ?? "", id);
    }

    [Theory]
    [InlineData("https://graph.facebook.com/v24.0/1234567890", true)]
    [InlineData("https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1&ext=2&hash=3", true)]
    [InlineData("https://LOOKASIDE.fbsbx.com/whatsapp_business/attachments/?mid=1", true)]
    [InlineData("http://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1", false)]
    [InlineData("https://lookaside.fbsbx.com:8443/whatsapp_business/attachments/?mid=1", false)]
    [InlineData("https://lookaside.fbsbx.com.evil.example/whatsapp_business/attachments/?mid=1", false)]
    [InlineData("https://cdn.fbsbx.com/file.jpg", false)]
    [InlineData("https://evil.example/v24.0/1234567890", false)]
    public void The_token_goes_to_the_graph_host_and_Metas_media_host_only(string url, bool gets)
    {
        var header = MetaMediaUrls.Credentials(new Uri(url), Options);

        Assert.Equal(gets, header is not null);
        if (gets)
        {
            Assert.Equal("Bearer EAAG-token", header!.ToString());
        }
    }

    [Fact]
    public void Plain_http_download_urls_are_fetched_only_when_the_graph_api_is_a_plain_http_stand_in()
    {
        var download = new Uri("http://127.0.0.1:5001/whatsapp_business/attachments/?mid=1");
        var standIn = new MetaWhatsAppOptions { ApiBaseUrl = new Uri("http://127.0.0.1:5000") };

        Assert.False(MetaMediaUrls.IsAllowedDownloadUrl(download, Options));
        Assert.True(MetaMediaUrls.IsAllowedDownloadUrl(download, standIn));
        Assert.True(MetaMediaUrls.IsAllowedDownloadUrl(new Uri("https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1"), Options));
    }
}
