using InCallMessaging.SemanticKernel;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace InCallMessaging.Redis.Tests;

/// <summary><c>AddInCallMessagingRedisStore</c>: one store behind the three seams, winning over the in-memory defaults.</summary>
public sealed class RedisStoreRegistrationTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task One_store_serves_all_three_seams_whichever_is_registered_first(bool defaultsFirst)
    {
        var services = new ServiceCollection();
        if (defaultsFirst)
        {
            AddInMemoryDefaults(services);
        }

        services.AddInCallMessagingRedisStore(redis.Server.ConnectionString);
        if (!defaultsFirst)
        {
            AddInMemoryDefaults(services);
        }

        await using var provider = services.BuildServiceProvider();
        var store = provider.GetRequiredService<RedisStateStore>();
        Assert.Same(store, provider.GetRequiredService<IConsentStore>());
        Assert.Same(store, provider.GetRequiredService<IMessageLog>());
        Assert.Same(store, provider.GetRequiredService<IDeduplicationStore>());
        var key = "in:" + Guid.NewGuid().ToString("N");
        Assert.True(await provider.GetRequiredService<IDeduplicationStore>().TryMarkAsync(key, TimeSpan.FromMinutes(1)));
        Assert.False(await provider.GetRequiredService<IDeduplicationStore>().TryMarkAsync(key, TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task With_the_plugin_the_runtime_uses_the_redis_store()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddInCallMessaging(o =>
        {
            o.Senders["default"] = new MessageSenderOptions { From = "+14155550199" };
            o.Actions.Add(new InCallMessageAction { Name = "send_summary", Description = "Text the caller a summary of the call." });
        });
        services.AddInCallMessagingRedisStore(redis.Server.ConnectionString);

        await using var provider = services.BuildServiceProvider();
        var runtime = provider.GetRequiredService<InCallMessagingRuntime>();

        Assert.IsType<RedisStateStore>(runtime.MessageLog);
        Assert.Same(runtime.MessageLog, runtime.Consent);
        Assert.Same(runtime.MessageLog, provider.GetRequiredService<IScheduledMessageStore>());   // after-call texts are durable too
        Assert.Equal($"Redis ({redis.Server.ConnectionString}, prefix incall:)", runtime.MessageLog.ToString());
    }

    [Fact]
    public async Task Options_bind_from_configuration()
    {
        var prefix = RedisServerFixture.FreshPrefix();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Redis:ConnectionString"] = redis.Server.ConnectionString,
            ["Redis:KeyPrefix"] = prefix,
            ["Redis:MessageRetention"] = "7.00:00:00",
            ["Redis:OperationTimeout"] = "00:00:03",
        }).Build();
        var services = new ServiceCollection().AddInCallMessagingRedisStore(configuration.GetSection("Redis"));

        await using var provider = services.BuildServiceProvider();
        var options = provider.GetRequiredService<IOptions<RedisStoreOptions>>().Value;

        Assert.Equal(redis.Server.ConnectionString, options.ConnectionString);
        Assert.Equal(prefix, options.KeyPrefix);
        Assert.Equal(TimeSpan.FromDays(7), options.MessageRetention);
        Assert.Equal(TimeSpan.FromSeconds(3), options.OperationTimeout);
        Assert.True(await provider.GetRequiredService<IDeduplicationStore>().TryMarkAsync("in:SM1", TimeSpan.FromHours(1)));
    }

    [Fact]
    public async Task A_host_starts_with_Redis_down()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddInCallMessagingRedisStore(o =>
        {
            o.ConnectionString = "127.0.0.1:1";
            o.ConnectTimeout = TimeSpan.FromSeconds(1);
        });
        using var host = builder.Build();

        await host.StartAsync();
        await Assert.ThrowsAsync<StateStoreException>(() => host.Services.GetRequiredService<IMessageLog>().FindAsync("SM1").AsTask());
        await host.StopAsync();
    }

    [Fact]
    public void An_empty_connection_string_fails_on_resolve_naming_the_setting()
    {
        var services = new ServiceCollection();
        services.AddInCallMessagingRedisStore(string.Empty);
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<ArgumentException>(() => provider.GetRequiredService<IMessageLog>());
        Assert.Contains("ConnectionStrings:InCallMessaging", error.Message, StringComparison.Ordinal);
    }

    private static void AddInMemoryDefaults(IServiceCollection services)
    {
        // What the core's AddInCallMessaging does.
        services.TryAddSingleton<IConsentStore, InMemoryConsentStore>();
        services.TryAddSingleton<IMessageLog, InMemoryMessageLog>();
        services.TryAddSingleton<IDeduplicationStore, InMemoryDeduplicationStore>();
    }
}
