using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace InCallMessaging.SemanticKernel.Tests.Core.DependencyInjection;

/// <summary>The media options bind from configuration, replace (not extend) the default types, and fail at start-up clearly.</summary>
public sealed class ReplyMediaOptionsTests
{
    private static ServiceProvider Build(Dictionary<string, string?> values)
    {
        values["InCallMessaging:Senders:default:Provider"] = "Loopback";
        values["InCallMessaging:Senders:default:From"] = "+14155550199";
        values["InCallMessaging:Actions:0:Name"] = "send_summary";
        values["InCallMessaging:Actions:0:Description"] = "Text the caller a summary.";
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        return new ServiceCollection().AddLogging().AddInCallMessaging(configuration.GetSection("InCallMessaging")).BuildServiceProvider();
    }

    [Fact]
    public void Media_options_bind_and_configured_types_replace_the_defaults()
    {
        using var services = Build(new()
        {
            ["InCallMessaging:MediaUrlsInTranscript"] = "true",
            ["InCallMessaging:Media:MaxBytes"] = "1048576",
            ["InCallMessaging:Media:Timeout"] = "00:00:05",
            ["InCallMessaging:Media:AllowedContentTypes:0"] = "image/*",
        });

        var options = services.GetRequiredService<IOptions<InCallMessagingOptions>>().Value;

        Assert.True(options.MediaUrlsInTranscript);
        Assert.Equal(1_048_576, options.Media.MaxBytes);
        Assert.Equal(TimeSpan.FromSeconds(5), options.Media.Timeout);
        Assert.Equal(["image/*"], options.Media.AllowedContentTypes);
        Assert.True(options.Media.Allows("image/heic"));
        Assert.False(options.Media.Allows("application/pdf"));
        Assert.NotNull(services.GetService<IReplyMediaFetcher>());
    }

    [Fact]
    public void Defaults_allow_common_images_and_pdf_only()
    {
        var media = new ReplyMediaOptions();

        Assert.Equal(5 * 1024 * 1024, media.MaxBytes);
        Assert.All(["image/jpeg", "image/png", "image/webp", "image/gif", "application/pdf"], type => Assert.True(media.Allows(type)));
        Assert.False(media.Allows("image/svg+xml"));
        Assert.False(media.Allows("text/html"));
        Assert.False(new InCallMessagingOptions().MediaUrlsInTranscript);
    }

    [Fact]
    public void Bad_media_options_fail_at_start_up_naming_the_field_and_the_fix()
    {
        using var services = Build(new()
        {
            ["InCallMessaging:Media:MaxBytes"] = "0",
            ["InCallMessaging:Media:Timeout"] = "00:00:00",
            ["InCallMessaging:Media:AllowedContentTypes:0"] = "jpeg",
        });

        var failure = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<InCallMessagingOptions>>().Value);

        Assert.Contains(failure.Failures, f => f.StartsWith("Media.MaxBytes is 0: set it between 1 and", StringComparison.Ordinal));
        Assert.Contains(failure.Failures, f => f.StartsWith("Media.Timeout is 00:00:00", StringComparison.Ordinal));
        Assert.Contains(failure.Failures, f => f.Contains("Media.AllowedContentTypes: 'jpeg' is not a content type; write 'type/subtype' (image/jpeg)", StringComparison.Ordinal));
    }
}
