using InCallMessaging.SemanticKernel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace InCallMessaging.Redis.Tests.Routing;

/// <summary><c>AddInCallMessagingRedisRouting</c>: the Redis router replaces the single-instance one and runs as a hosted service.</summary>
public sealed class RedisRoutingRegistrationTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_Redis_router_replaces_the_single_instance_router_whichever_is_registered_first(bool pluginFirst)
    {
        var services = new ServiceCollection().AddLogging();
        if (pluginFirst)
        {
            AddPlugin(services);
        }

        services.AddInCallMessagingRedisStore(redis.Server.ConnectionString).AddInCallMessagingRedisRouting(o => o.InstanceId = "web-1");
        if (!pluginFirst)
        {
            AddPlugin(services);
        }

        await using var provider = services.BuildServiceProvider();
        var router = provider.GetRequiredService<RedisReplyRouter>();
        Assert.Same(router, provider.GetRequiredService<IReplyRouter>());
        Assert.Contains(router, provider.GetServices<IHostedService>());
        Assert.Equal("web-1", router.InstanceId);
        Assert.NotNull(provider.GetRequiredService<InCallMessagingRuntime>());
    }

    [Fact]
    public async Task Without_the_Redis_store_it_says_which_call_is_missing()
    {
        var services = new ServiceCollection().AddLogging().AddInCallMessagingRedisRouting();
        await using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IReplyRouter>());

        Assert.Contains("AddInCallMessagingRedisStore", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_options_name_the_setting_and_its_range()
    {
        var services = new ServiceCollection().AddLogging().AddInCallMessagingRedisStore(redis.Server.ConnectionString)
            .AddInCallMessagingRedisRouting(o => o.LeaseDuration = TimeSpan.Zero);
        await using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<ArgumentException>(() => provider.GetRequiredService<IReplyRouter>());

        Assert.Contains("LeaseDuration", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_parked_reply_timeout_out_of_range_names_the_setting_and_its_range()
    {
        var services = new ServiceCollection().AddLogging().AddInCallMessagingRedisStore(redis.Server.ConnectionString)
            .AddInCallMessagingRedisRouting(o => o.ParkedReplyTimeout = TimeSpan.FromMilliseconds(10));
        await using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<ArgumentException>(() => provider.GetRequiredService<IReplyRouter>());

        Assert.Contains("ParkedReplyTimeout", error.Message, StringComparison.Ordinal);
        Assert.Contains("between 100 ms and 10 minutes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_default_instance_id_differs_between_instances_of_one_process()
    {
        Assert.NotEqual(new RedisRoutingOptions().InstanceId, new RedisRoutingOptions().InstanceId);
        Assert.StartsWith(Environment.MachineName, new RedisRoutingOptions().InstanceId, StringComparison.Ordinal);
    }

    private static void AddPlugin(IServiceCollection services) => services.AddInCallMessaging(o =>
    {
        o.Senders["default"] = new MessageSenderOptions { From = "+14155550199" };
        o.Actions.Add(new InCallMessageAction { Name = "send_summary", Description = "Text the caller a summary of the call." });
    });
}
