using InCallMessaging.SemanticKernel.Tests.Core.Functions;
using InCallMessaging.SemanticKernel.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Microsoft.SemanticKernel;

namespace InCallMessaging.SemanticKernel.Tests.Core.Calls;

/// <summary>Starting, ending, finding and evicting call sessions.</summary>
public sealed class CallSessionRegistryTests
{
    [Fact]
    public void Starting_a_live_call_id_again_returns_the_same_session()
    {
        var h = Harness.Start(TestRuntime.Otp());

        var again = h.Runtime.Calls.StartCall(Harness.CallId, "+442071838750");

        Assert.Same(h.Session, again);
        Assert.Equal(TestRuntime.Caller, again.CallerNumber);
        Assert.Equal(1, h.Runtime.Calls.ActiveCount);
    }

    [Fact]
    public void Starting_a_call_normalizes_numbers_and_exposes_metadata_as_variables()
    {
        var runtime = TestRuntime.Create(TestRuntime.Options(TestRuntime.Otp()));

        var session = runtime.Calls.StartCall("CA9", "whatsapp:+1 415 555 0100", "+1 (415) 555-0199", new Dictionary<string, string> { ["user_name"] = "Ann" });

        Assert.Equal(TestRuntime.Caller, session.CallerNumber);
        Assert.Equal(TestRuntime.Agent, session.AgentNumber);
        Assert.Equal("Ann", session.GetVariable("user_name"));
        Assert.Equal("CA9", session.GetVariable("call_id"));
        Assert.Equal(TestRuntime.Caller, session.Variables["user_phone_number"]);
        Assert.Equal(TestRuntime.Agent, session.CreateKernelArguments()["agent_phone_number"]);
    }

    [Fact]
    public void Ending_a_call_deactivates_it_and_cancels_its_token()
    {
        var h = Harness.Start(TestRuntime.Otp());
        var token = h.Session.CallEnded;

        Assert.True(h.Runtime.Calls.EndCall(Harness.CallId));

        Assert.False(h.Session.IsActive);
        Assert.Equal(h.Time.GetUtcNow(), h.Session.EndedAt);
        Assert.True(token.IsCancellationRequested);
        Assert.Equal(0, h.Runtime.Calls.ActiveCount);
        Assert.Equal(1, h.Runtime.Calls.Count);
        Assert.False(h.Runtime.Calls.EndCall(Harness.CallId));
        Assert.False(h.Runtime.Calls.EndCall("CA-unknown"));
        Assert.Same(h.Session, h.Runtime.Calls.Find(Harness.CallId));
    }

    [Fact]
    public void Starting_an_ended_call_id_again_starts_a_fresh_session()
    {
        var h = Harness.Start(TestRuntime.Otp());
        h.Runtime.Calls.EndCall(Harness.CallId);

        var fresh = h.Runtime.Calls.StartCall(Harness.CallId, TestRuntime.Caller);

        Assert.NotSame(h.Session, fresh);
        Assert.True(fresh.IsActive);
        Assert.Equal(1, h.Runtime.Calls.ActiveCount);
    }

    [Fact]
    public async Task Finds_a_call_by_conversation_and_by_message_id()
    {
        var h = Harness.Start(TestRuntime.Otp());
        await h.SendOtpAsync();
        var sent = h.Loopback.SentMessages[0];

        Assert.Same(h.Session, h.Runtime.Calls.FindByConversation(MessageChannel.Sms, TestRuntime.Caller, "default"));
        Assert.Same(h.Session, h.Runtime.Calls.FindByConversation(MessageChannel.Sms, TestRuntime.Caller, "DEFAULT"));
        Assert.Same(h.Session, h.Runtime.Calls.FindByMessageId(sent.MessageId));
        Assert.Null(h.Runtime.Calls.FindByConversation(MessageChannel.Sms, "+442071838750", "default"));
        Assert.Null(h.Runtime.Calls.FindByMessageId("SM-unknown"));
    }

    [Fact]
    public void Live_call_of_the_caller_is_found_before_it_has_texted()
    {
        var h = Harness.Start(TestRuntime.Otp());

        Assert.Same(h.Session, h.Runtime.Calls.FindByConversation(MessageChannel.Sms, TestRuntime.Caller, "default"));

        h.Runtime.Calls.EndCall(Harness.CallId);

        Assert.Null(h.Runtime.Calls.FindByConversation(MessageChannel.Sms, TestRuntime.Caller, "default"));
    }

    [Fact]
    public async Task Ended_calls_older_than_the_retention_are_evicted_and_live_ones_kept()
    {
        var h = Harness.Start(TestRuntime.Otp());
        await h.SendOtpAsync();
        var messageId = h.Loopback.SentMessages[0].MessageId;
        var live = h.Runtime.Calls.StartCall("CA-live", "+442071838750");
        h.Runtime.Calls.EndCall(Harness.CallId);

        h.Time.Advance(TimeSpan.FromHours(24) - TimeSpan.FromSeconds(1));
        Assert.Equal(0, h.Runtime.Registry.EvictExpired());
        Assert.Same(h.Session, h.Runtime.Calls.FindByMessageId(messageId));

        h.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, h.Runtime.Registry.EvictExpired());

        Assert.Null(h.Runtime.Calls.Find(Harness.CallId));
        Assert.Null(h.Runtime.Calls.FindByMessageId(messageId));
        Assert.Null(h.Runtime.Calls.FindByConversation(MessageChannel.Sms, TestRuntime.Caller, "default"));
        Assert.Same(live, h.Runtime.Calls.Find("CA-live"));
        Assert.Equal(1, h.Runtime.Calls.Count);
    }

    [Fact]
    public void Starting_a_call_evicts_expired_calls_when_no_hosted_service_runs()
    {
        var options = TestRuntime.Options(TestRuntime.Otp());
        options.EndedCallRetention = TimeSpan.FromMinutes(5);
        var h = Harness.Start(options);
        h.Runtime.Calls.EndCall(Harness.CallId);

        h.Time.Advance(TimeSpan.FromMinutes(6));
        h.Runtime.Calls.StartCall("CA-next", "+442071838750");

        Assert.Null(h.Runtime.Calls.Find(Harness.CallId));
        Assert.Equal(1, h.Runtime.Calls.Count);
    }

    [Fact]
    public async Task Hosted_eviction_service_evicts_on_its_timer()
    {
        var time = new TimerSignallingTimeProvider(Harness.Start0);
        var evicted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Logging.SetMinimumLevel(LogLevel.Debug).AddProvider(new SignallingLoggerProvider("Evicted 1 ended call(s)", evicted));
        builder.Services.AddInCallMessaging(options =>
        {
            options.Senders["default"] = new MessageSenderOptions { From = TestRuntime.Agent };
            options.Actions.Add(TestRuntime.Summary());
            options.EndedCallRetention = TimeSpan.FromMinutes(10);
            options.EvictionInterval = TimeSpan.FromMinutes(1);
            options.ScheduledTextSweepInterval = TimeSpan.FromMinutes(7);   // another period, so the eviction timer is told apart
        });
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var calls = host.Services.GetRequiredService<ICallSessionRegistry>();
            calls.StartCall("CA1", TestRuntime.Caller);
            calls.EndCall("CA1");

            // ExecuteAsync runs on the thread pool: advance only once its PeriodicTimer exists.
            await time.TimerCreated.Task.WaitAsync(Harness.Safety);
            time.Advance(TimeSpan.FromMinutes(11));
            await evicted.Task.WaitAsync(Harness.Safety);

            Assert.Null(calls.Find("CA1"));
            Assert.Equal(0, calls.Count);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task Kernel_bound_to_a_session_is_a_clone_and_finds_its_session()
    {
        var h = Harness.Start(TestRuntime.Otp());
        var shared = Kernel.CreateBuilder().Build();
        shared.Plugins.Add(h.Runtime.Plugin);
        var other = h.Runtime.Calls.StartCall("CA2", "+442071838750");

        var first = shared.WithCallSession(h.Session);
        var second = shared.WithCallSession(other);
        await h.SendOtpAsync(kernel: second);

        Assert.Null(shared.GetCallSession());
        Assert.Same(h.Session, first.GetCallSession());
        Assert.Same(other, second.GetCallSession());
        Assert.Equal("+442071838750", Assert.Single(h.Loopback.SentMessages).Message.To);
        Assert.Same(other, h.Runtime.Calls.FindByMessageId(h.Loopback.SentMessages[0].MessageId));
    }

    private sealed class TimerSignallingTimeProvider(DateTimeOffset start) : FakeTimeProvider(start)
    {
        public TaskCompletionSource TimerCreated { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(callback, state, dueTime, period);
            if (period == TimeSpan.FromMinutes(1))
            {
                // The eviction timer (EvictionInterval), not another hosted service's.
                TimerCreated.TrySetResult();
            }

            return timer;
        }
    }

    private sealed class SignallingLoggerProvider(string fragment, TaskCompletionSource signal) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(fragment, signal);

        public void Dispose()
        {
        }

        private sealed class Logger(string fragment, TaskCompletionSource signal) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (formatter(state, exception).Contains(fragment, StringComparison.Ordinal))
                {
                    signal.TrySetResult();
                }
            }
        }
    }
}
