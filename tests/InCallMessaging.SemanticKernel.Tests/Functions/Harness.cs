using System.Globalization;
using System.Text.Json;
using InCallMessaging.SemanticKernel.Tests.TestSupport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Microsoft.SemanticKernel;

namespace InCallMessaging.SemanticKernel.Tests.Core.Functions;

/// <summary>
/// One runtime (loopback sender, fake clock) with one live call bound to a kernel that has the plugin, and helpers
/// that invoke functions the way SK does and parse their JSON results.
/// </summary>
internal sealed class Harness
{
    public const string CallId = "CA00000000000000000000000000000001";

    /// <summary>A safety net for awaits; never a timed assertion.</summary>
    public static readonly TimeSpan Safety = TimeSpan.FromSeconds(10);

    public static readonly DateTimeOffset Start0 = DateTimeOffset.Parse("2026-11-22T10:00:00Z", CultureInfo.InvariantCulture);

    private Harness(FakeTimeProvider time, InCallMessagingRuntime runtime, CallSession session, RecordingSpeech speech)
    {
        Time = time;
        Runtime = runtime;
        Session = session;
        Speech = speech;
        Kernel = KernelFor(session);
    }

    public FakeTimeProvider Time { get; }

    public InCallMessagingRuntime Runtime { get; }

    public LoopbackMessageProvider Loopback => Runtime.Loopback!;

    public IReplyHub Hub => Runtime.Replies;

    public CallSession Session { get; }

    public RecordingSpeech Speech { get; }

    public Kernel Kernel { get; }

    public static Harness Start(
        InCallMessagingOptions options,
        string caller = TestRuntime.Caller,
        IReadOnlyDictionary<string, string>? metadata = null,
        IEnumerable<IAfterCallReplyHandler>? afterCall = null,
        IEnumerable<IMessageProvider>? providers = null,
        ILoggerFactory? loggerFactory = null,
        IDeduplicationStore? deduplication = null,
        IEnumerable<IMessageStatusHandler>? statusHandlers = null)
    {
        var time = new FakeTimeProvider(Start0);
        var runtime = InCallMessagingRuntime.Create(options, providers, loggerFactory, time, afterCall, deduplication, statusHandlers);
        var session = runtime.Calls.StartCall(CallId, caller, TestRuntime.Agent, metadata);
        var speech = new RecordingSpeech();
        session.Speech = speech;
        return new Harness(time, runtime, session, speech);
    }

    public static Harness Start(params InCallMessageAction[] actions) => Start(TestRuntime.Options(actions));

    /// <summary>A per-call kernel with the plugin, bound to <paramref name="session"/>.</summary>
    public Kernel KernelFor(CallSession session)
    {
        var kernel = Microsoft.SemanticKernel.Kernel.CreateBuilder().Build();
        kernel.Plugins.Add(Runtime.Plugin);
        return kernel.WithCallSession(session);
    }

    /// <summary>Invokes a plugin function as SK does and parses its JSON result.</summary>
    public async Task<JsonElement> InvokeAsync(string function, KernelArguments? arguments = null, Kernel? kernel = null, CancellationToken cancellationToken = default)
    {
        var result = await (kernel ?? Kernel).InvokeAsync(Runtime.Plugin[function], arguments ?? [], cancellationToken);
        var json = result.GetValue<string>();
        Assert.NotNull(json);
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    public Task<JsonElement> SendOtpAsync(string code = "123456", Kernel? kernel = null) =>
        InvokeAsync("send_otp", new KernelArguments { ["otp_code"] = code }, kernel);

    public Task<JsonElement> SendSummaryAsync(string message, Kernel? kernel = null) =>
        InvokeAsync("send_summary", new KernelArguments { ["message"] = message }, kernel);

    /// <summary>An inbound text from the caller to the default sender's number, as a provider webhook would deliver it.</summary>
    public static InboundMessage Inbound(string text, string? id = null, string from = TestRuntime.Caller, string to = TestRuntime.Agent,
        MessageChannel channel = MessageChannel.Sms, string? inReplyTo = null) => new()
        {
            Provider = "Test",
            MessageId = id ?? "SM" + Guid.NewGuid().ToString("N"),
            Channel = channel,
            From = from,
            To = to,
            Text = text,
            InReplyToMessageId = inReplyTo,
        };
}

internal static class JsonResult
{
    public static string? Str(this JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public static string Status(this JsonElement element) => element.Str("status") ?? "(none)";

    public static string? Reason(this JsonElement element) => element.Str("reason");
}
