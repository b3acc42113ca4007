using System.Collections.Concurrent;
using InCallMessaging.SemanticKernel;
using InCallMessaging.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.SemanticKernel;
using StackExchange.Redis;

namespace InCallMessaging.Redis.Tests.Routing;

/// <summary>
/// One instance of a scaled-out deployment, in process: its own generic host (its own DI container, call registry and
/// hosted services) with the plugin, the Redis store and Redis routing, sharing one Redis and key prefix with its peers.
/// </summary>
internal sealed class RoutedInstance : IAsyncDisposable
{
    public const string Caller = "+14155550100";
    public const string Agent = "+14155550199";

    /// <summary>The safety timeout of every wait: generous, never a timing assertion.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly IHost _host;
    private bool _disposed;

    private RoutedInstance(IHost host, AfterCallRecorder afterCall)
    {
        _host = host;
        AfterCall = afterCall;
    }

    public InCallMessagingRuntime Runtime => _host.Services.GetRequiredService<InCallMessagingRuntime>();

    public RedisReplyRouter Router => _host.Services.GetRequiredService<RedisReplyRouter>();

    public RedisStateStore Store => _host.Services.GetRequiredService<RedisStateStore>();

    public AfterCallRecorder AfterCall { get; }

    public static async Task<RoutedInstance> StartAsync(string connectionString, string prefix, string instanceId, TimeSpan? lease = null,
        Action<IServiceCollection>? configure = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddLogging();
        builder.Services.AddInCallMessaging(options =>
        {
            options.Senders["default"] = new MessageSenderOptions { Provider = "Loopback", From = Agent };
            options.Actions.Add(new InCallMessageAction
            {
                Name = "send_otp",
                Description = "Text the caller a one-time code when they need to verify their identity.",
                Body = "Your code is <otp_code>.",
                Parameters = new ActionParameters
                {
                    Properties = { ["otp_code"] = new ActionParameter { Description = "The 6-digit code to send." } },
                    Required = { "otp_code" },
                },
                WaitForReply = true,
                ReplyTimeout = TimeSpan.FromMinutes(2),
            });
            options.Actions.Add(new InCallMessageAction
            {
                Name = "send_summary",
                Description = "Text the caller a summary of the call.",
                Body = "Thanks for calling.",
            });
        });
        builder.Services.AddInCallMessagingRedisStore(options =>
        {
            options.ConnectionString = connectionString;
            options.KeyPrefix = prefix;
            options.ConnectTimeout = TimeSpan.FromSeconds(2);
            options.OperationTimeout = TimeSpan.FromSeconds(2);
        });
        builder.Services.AddInCallMessagingRedisRouting(options =>
        {
            options.InstanceId = instanceId;
            options.LeaseDuration = lease ?? TimeSpan.FromSeconds(30);
            options.PollInterval = TimeSpan.FromMilliseconds(100);
        });
        var afterCall = new AfterCallRecorder();
        builder.Services.AddSingleton<IAfterCallReplyHandler>(afterCall);
        configure?.Invoke(builder.Services);
        var host = builder.Build();
        await host.StartAsync();
        return new RoutedInstance(host, afterCall);
    }

    /// <summary>Starts <paramref name="function"/> on <paramref name="session"/> through a kernel, as the LLM would call it.</summary>
    public Task<FunctionResult> InvokeAsync(CallSession session, string function, KernelArguments arguments)
    {
        var kernel = Kernel.CreateBuilder().Build();
        kernel.Plugins.Add(Runtime.Plugin);
        return kernel.WithCallSession(session).InvokeAsync(Runtime.Plugin[function], arguments);
    }

    /// <summary>Waits until the call recorded the text the loopback sent (its route hook has run), then until its routes are in Redis.</summary>
    public async Task<LoopbackMessage> WaitForSentAsync(CallSession session)
    {
        using var patience = new CancellationTokenSource(Patience);
        var sent = await Runtime.Loopback!.WaitForMessageAsync(cancellationToken: patience.Token);
        while (!session.Messages.Any(m => m.Direction == MessageDirection.Outbound && m.MessageId == sent.MessageId))
        {
            await Task.Delay(10, patience.Token);
        }

        await Router.FlushAsync().WaitAsync(patience.Token);
        return sent;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await _host.StopAsync();
        if (_host is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }
        else
        {
            _host.Dispose();
        }
    }

    public static InboundMessage Reply(string messageId, string text, string? inReplyTo = null) => new()
    {
        Provider = "Twilio",
        MessageId = messageId,
        Channel = MessageChannel.Sms,
        From = Caller,
        To = Agent,
        Text = text,
        InReplyToMessageId = inReplyTo,
    };

    public static string NewSid() => "SM" + Guid.NewGuid().ToString("N");
}

/// <summary>Records the replies the after-call path hands to its handlers.</summary>
internal sealed class AfterCallRecorder : IAfterCallReplyHandler
{
    public ConcurrentQueue<(string CallId, InboundMessage Reply)> Replies { get; } = new();

    public Task HandleAfterCallReplyAsync(CallSession session, InboundMessage reply, CancellationToken cancellationToken)
    {
        Replies.Enqueue((session.CallId, reply));
        return Task.CompletedTask;
    }
}

/// <summary>The instances one test starts, on one fresh key prefix: started on demand, all disposed at the end.</summary>
internal sealed class RoutedInstances(RedisServer defaultServer) : IAsyncDisposable
{
    private readonly List<RoutedInstance> _started = [];

    /// <summary>The key prefix every instance of this test shares.</summary>
    public string Prefix { get; } = RedisServerFixture.FreshPrefix();

    public async Task<RoutedInstance> StartAsync(string id, TimeSpan? lease = null, RedisServer? server = null, Action<IServiceCollection>? configure = null)
    {
        var instance = await RoutedInstance.StartAsync((server ?? defaultServer).ConnectionString, Prefix, id, lease, configure);
        _started.Add(instance);
        return instance;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var instance in _started)
        {
            await instance.DisposeAsync();
        }
    }
}

/// <summary>
/// A test class of routed instances on the fixture's redis-server: <see cref="Instances"/> (one fresh key prefix, every
/// instance disposed after the test) and <see cref="Database"/>, a connection of the test's own to look at the keys.
/// </summary>
public abstract class RoutingTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private ConnectionMultiplexer? _connection;

    /// <summary>The fixture's redis-server.</summary>
    protected RedisServerFixture Redis { get; } = redis;

    /// <summary>The instances this test starts.</summary>
    internal RoutedInstances Instances { get; } = new(redis.Server);

    /// <summary>The test's own connection to the fixture's redis-server.</summary>
    protected IDatabase Database => _connection!.GetDatabase();

    public async Task InitializeAsync() => _connection = await ConnectionMultiplexer.ConnectAsync(Redis.Server.ConnectionString);

    public async Task DisposeAsync()
    {
        await Instances.DisposeAsync();
        await _connection!.DisposeAsync();
    }
}
