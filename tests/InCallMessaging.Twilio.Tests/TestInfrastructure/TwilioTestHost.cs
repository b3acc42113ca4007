using System.Collections.Concurrent;
using InCallMessaging.SemanticKernel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace InCallMessaging.Twilio.Tests.TestInfrastructure;

/// <summary>The real provider, resolved from a service collection set up the way a host does it.</summary>
internal sealed class TwilioTestHost : IDisposable
{
    public const string CallerNumber = "+14155550100";
    public const string AgentNumber = "+15005550006";
    public const string MessagingServiceSid = "MG0123456789abcdef0123456789abcdef";
    public const string TemplateId = "HX0123456789abcdef0123456789abcdef";

    private readonly ServiceProvider _services;

    public TwilioTestHost(Uri apiBaseUrl, Action<TwilioOptions>? configure = null, Action<IServiceCollection>? services = null)
    {
        var collection = new ServiceCollection();
        collection.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(Logs));
        services?.Invoke(collection);
        collection.AddInCallMessagingTwilio(options =>
        {
            options.AccountSid = TwilioStub.AccountSid;
            options.AuthToken = TwilioStub.AuthToken;
            options.ApiBaseUrl = apiBaseUrl;
            options.RetryBaseDelay = TimeSpan.FromMilliseconds(1);
            configure?.Invoke(options);
        });
        _services = collection.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        Provider = _services.GetServices<IMessageProvider>().Single(p => p.Name == "Twilio");
    }

    public IMessageProvider Provider { get; }

    public CapturingLoggerProvider Logs { get; } = new();

    public Task<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken = default) =>
        Provider.SendAsync(message, cancellationToken).AsTask();

    public static OutboundMessage Sms(string? body = "Your code is 4821.", MessageSenderOptions? sender = null) => new()
    {
        SenderName = "main",
        Sender = sender ?? new MessageSenderOptions { Provider = "Twilio", From = AgentNumber },
        Channel = MessageChannel.Sms,
        To = CallerNumber,
        Body = body,
        CallId = "CA0123456789abcdef0123456789abcdef",
        ActionName = "send_code",
        ClientReference = Guid.NewGuid().ToString("N"),
    };

    public static OutboundMessage WhatsApp(string? body = "Here is your booking link.", WhatsAppContent? content = null, MessageSenderOptions? sender = null) =>
        Sms(body, sender) with { Channel = MessageChannel.WhatsApp, Content = content, ActionName = "send_link" };

    public void Dispose() => _services.Dispose();
}

/// <summary>Keeps every formatted log line, to check nothing sensitive is logged.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyList<string> Lines => _lines.ToArray();

    public ILogger CreateLogger(string categoryName) => new Logger(_lines);

    public void Dispose()
    {
    }

    private sealed class Logger(ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{logLevel}: {formatter(state, exception)} {exception}");
    }
}
