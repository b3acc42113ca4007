using System.Net;
using InCallMessaging.AspNetCore.Tests.TestSupport;
using InCallMessaging.SemanticKernel;

namespace InCallMessaging.AspNetCore.Tests.Twilio;

public sealed class TwilioStatusEndpointTests
{
    [Fact]
    public async Task A_failed_status_ends_the_waiting_action_with_the_reason()
    {
        await using var host = await WebhookTestHost.StartAsync();
        var session = host.StartCall();
        var invocation = host.InvokeAsync(session, "confirm_by_text");
        var outbound = await host.Loopback.WaitForMessageAsync(m => m.Message.CallId == session.CallId).WaitAsync(TimeSpan.FromSeconds(10));
        await WaitUntilWaitingOnAsync(session, outbound.MessageId);

        using var response = await host.PostSignedAsync("twilio/status",
        [
            new("MessageSid", outbound.MessageId),
            new("MessageStatus", "failed"),
            new("ErrorCode", "30003"),
            new("AccountSid", WebhookTestHost.AccountSid),
            new("From", WebhookTestHost.SmsSender),
            new("To", WebhookTestHost.Caller),
        ]);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = await invocation.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("failed", result.GetProperty("status").GetString());
        Assert.Contains("30003", result.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var recorded = Assert.Single(session.Messages, m => m.MessageId == outbound.MessageId);
        Assert.Equal("failed", recorded.Status);
        Assert.Equal("30003", recorded.ErrorCode);
    }

    [Fact]
    public async Task Status_callbacks_update_the_message_and_never_move_it_back()
    {
        await using var host = await WebhookTestHost.StartAsync();
        var session = host.StartCall();
        await host.InvokeAsync(session, "send_link");
        var id = Assert.Single(host.Loopback.SentMessages).MessageId;

        foreach (var status in new[] { "delivered", "sent", "delivered" })
        {
            using var response = await host.PostSignedAsync("twilio/status", [new("MessageSid", id), new("MessageStatus", status)]);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal("delivered", Assert.Single(session.Messages, m => m.MessageId == id).Status);
        Assert.Contains(host.Logs.Webhooks, e => e.Message.Contains("'delivered'", StringComparison.Ordinal) && e.Message.EndsWith(": Applied.", StringComparison.Ordinal));
        Assert.Contains(host.Logs.Webhooks, e => e.Message.Contains("'sent'", StringComparison.Ordinal) && e.Message.EndsWith(": Ignored.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_status_for_an_unknown_message_is_still_acknowledged()
    {
        await using var host = await WebhookTestHost.StartAsync();

        using var response = await host.PostSignedAsync("twilio/status", [new("MessageSid", "SM20000000000000000000000000000001"), new("MessageStatus", "delivered")]);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("MessageStatus")]
    [InlineData("MessageSid")]
    public async Task A_missing_field_is_answered_400_naming_it(string field)
    {
        await using var host = await WebhookTestHost.StartAsync();
        List<KeyValuePair<string, string>> form = [new("MessageSid", "SM20000000000000000000000000000002"), new("MessageStatus", "sent")];

        using var response = await host.PostSignedAsync("twilio/status", [.. form.Where(p => p.Key != field)]);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains($"'{field}'", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    /// <summary>
    /// The loopback records a message before the action learns its id; a status posted in between would find no wait.
    /// Twilio's callbacks come far later, so the test waits for the action to be waiting on this message.
    /// </summary>
    private static async Task WaitUntilWaitingOnAsync(CallSession session, string messageId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!session.Messages.Any(m => m.MessageId == messageId) || !session.IsWaitingForReply)
        {
            Assert.True(DateTime.UtcNow < deadline, "The action did not start waiting.");
            await Task.Delay(10);
        }

        await Task.Delay(50);
    }
}
