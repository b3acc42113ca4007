using System.Net;
using InCallMessaging.AspNetCore.Tests.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace InCallMessaging.AspNetCore.Tests.Routing;

public sealed class MapInCallMessagingWebhooksTests
{
    [Fact]
    public async Task One_line_maps_the_three_endpoints_under_the_prefix()
    {
        await using var host = await WebhookTestHost.StartAsync(o => o.Map = app => app.MapInCallMessagingWebhooks("/hooks/sms"));

        var patterns = host.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>().Select(e => e.RoutePattern.RawText).ToList();

        Assert.Contains("/hooks/sms/messages", patterns);
        Assert.Contains("/hooks/sms/status", patterns);
        Assert.Contains("/hooks/sms/custom/messages", patterns);
        using var get = await host.Client.GetAsync("hooks/sms/messages");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, get.StatusCode);
    }

    [Fact]
    public async Task The_group_takes_conventions()
    {
        await using var host = await WebhookTestHost.StartAsync(o => o.Map = app => app.MapInCallMessagingWebhooks().RequireHost("twilio.example.com"));

        using var response = await host.PostSignedAsync("twilio/messages", WebhookTestHost.InboundSms("SM30000000000000000000000000000001", "hi"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Mapping_without_the_plugin_fails_with_a_clear_message()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddInCallMessagingTwilio(t =>
        {
            t.AccountSid = WebhookTestHost.AccountSid;
            t.AuthToken = WebhookTestHost.AuthToken;
        });
        await using var app = builder.Build();

        var error = Assert.Throws<InvalidOperationException>(() => app.MapInCallMessagingWebhooks());

        Assert.Contains("AddInCallMessaging", error.Message, StringComparison.Ordinal);
    }
}
