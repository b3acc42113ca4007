using VoiceBotHost.Demo;
using static VoiceBotHost.Tests.TestSupport.VoiceBotTestHost;

namespace VoiceBotHost.Tests.ConversationRelay;

/// <summary>An <c>interrupt</c> stops the answer being streamed; the call carries on.</summary>
public sealed class InterruptTests
{
    [Fact]
    public async Task An_interrupt_stops_the_answer_and_the_next_prompt_is_served()
    {
        // The offline demo model paces its tokens like a real model, so there is an answer to interrupt.
        await using var host = await StartAsync();
        await using var relay = await RelayClient.ConnectAsync(host.RelayUri, CancellationToken.None);
        var callSid = NewCallSid();
        await relay.SendSetupAsync(callSid, Caller, SmsSender);

        await relay.SendPromptAsync("Hello, what can you do?");
        Assert.True(await EventuallyAsync(() => relay.Received.Any(m => (string?)m["type"] == "text")));
        await relay.SendInterruptAsync("I can");
        await Task.Delay(1000);

        var spoken = relay.Received.Where(m => (string?)m["type"] == "text").ToList();
        Assert.DoesNotContain(spoken, m => m["last"]!.GetValue<bool>());
        Assert.DoesNotContain("What would you like?", string.Concat(spoken.Select(m => (string?)m["token"])), StringComparison.Ordinal);

        await relay.SendPromptAsync("Please text me a summary.");
        var summary = await host.Loopback.WaitForMessageAsync(m => m.Message.CallId == callSid).WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal("send_summary", summary.Message.ActionName);
    }
}
