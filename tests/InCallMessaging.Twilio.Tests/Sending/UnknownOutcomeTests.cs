using System.Text.Json;
using InCallMessaging.SemanticKernel;
using InCallMessaging.Twilio.Tests.TestInfrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;

namespace InCallMessaging.Twilio.Tests.Sending;

/// <summary>
/// A send whose outcome is unknown is never repeated: through the plugin, the real Twilio provider and a stand-in Twilio
/// that answers 500 first, the model's identical second call never reaches Twilio.
/// </summary>
public sealed class UnknownOutcomeTests
{
    private const string CallSid = "CA0123456789abcdef0123456789abcdef";

    private static (ServiceProvider Services, InCallMessagingRuntime Runtime, Kernel Kernel) Start(Uri twilio)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddInCallMessaging(options =>
        {
            options.MaxMessagesPerCall = 2;
            options.Senders["sms"] = new MessageSenderOptions { Provider = "Twilio", From = TwilioTestHost.AgentNumber };
            options.Actions.Add(new InCallMessageAction { Name = "send_summary", Description = "Text the caller a summary.", Sender = "sms" });
        });
        services.AddInCallMessagingTwilio(options =>
        {
            options.AccountSid = TwilioStub.AccountSid;
            options.AuthToken = TwilioStub.AuthToken;
            options.ApiBaseUrl = twilio;
            options.PublicBaseUrl = new Uri("https://bot.example.com");
            options.RetryBaseDelay = TimeSpan.FromMilliseconds(1);
        });
        var provider = services.BuildServiceProvider();
        var runtime = provider.GetRequiredService<InCallMessagingRuntime>();
        var session = runtime.Calls.StartCall(CallSid, TwilioTestHost.CallerNumber, TwilioTestHost.AgentNumber);
        var kernel = Kernel.CreateBuilder().Build();
        kernel.Plugins.Add(runtime.Plugin);
        return (provider, runtime, kernel.WithCallSession(session));
    }

    private static async Task<JsonElement> SendAsync(Kernel kernel, InCallMessagingRuntime runtime, string text)
    {
        var result = await kernel.InvokeAsync(runtime.Plugin["send_summary"], new KernelArguments { ["message"] = text });
        using var json = JsonDocument.Parse(result.GetValue<string>()!);
        return json.RootElement.Clone();
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(504)]
    public async Task Server_error_then_identical_call_reaches_Twilio_once(int status)
    {
        await using var stub = await TwilioStub.StartAsync(attempt => attempt == 1 ? StubAnswer.Error(status, 20500) : StubAnswer.Created());
        var (services, runtime, kernel) = Start(stub.BaseUrl);
        await using var _ = services;

        var first = await SendAsync(kernel, runtime, "Your table is booked for 7pm.");
        var second = await SendAsync(kernel, runtime, "Your table is booked for 7pm.");

        Assert.Equal("failed", first.GetProperty("status").GetString());
        Assert.Contains("may or may not have been sent", first.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("blocked", second.GetProperty("status").GetString());
        Assert.Equal("may_have_been_sent", second.GetProperty("reason").GetString());
        Assert.Equal(1, stub.Attempts);
    }

    [Fact]
    public async Task Service_unavailable_proves_nothing_was_sent_so_the_identical_call_goes_out()
    {
        await using var stub = await TwilioStub.StartAsync(attempt => attempt <= 3 ? new StubAnswer(503) : StubAnswer.Created());
        var (services, runtime, kernel) = Start(stub.BaseUrl);
        await using var _ = services;

        var first = await SendAsync(kernel, runtime, "Your table is booked for 7pm.");
        var second = await SendAsync(kernel, runtime, "Your table is booked for 7pm.");

        Assert.Equal("failed", first.GetProperty("status").GetString());
        Assert.Equal("sent", second.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Failed_status_callback_naming_the_reference_releases_the_send()
    {
        await using var stub = await TwilioStub.StartAsync(attempt => attempt == 1 ? StubAnswer.Error(500, 20500) : StubAnswer.Created());
        var (services, runtime, kernel) = Start(stub.BaseUrl);
        await using var _ = services;

        await SendAsync(kernel, runtime, "Your table is booked for 7pm.");
        var callback = new Uri(stub.Requests[0].Value("StatusCallback")!);
        var reference = System.Web.HttpUtility.ParseQueryString(callback.Query)["ref"];
        var applied = await runtime.Replies.ApplyStatusAsync(new DeliveryStatusUpdate
        {
            MessageId = "SM00000000000000000000000000000abc",
            Status = "failed",
            ErrorCode = "30008",
            ClientReference = reference,
        });
        var retried = await SendAsync(kernel, runtime, "Your table is booked for 7pm.");

        Assert.Equal("https://bot.example.com/twilio/status", callback.GetLeftPart(UriPartial.Path));
        Assert.Equal(StatusUpdateOutcome.Applied, applied);
        Assert.Equal("sent", retried.GetProperty("status").GetString());
        Assert.Equal(2, stub.Attempts);
    }
}
