using System.Net;
using InCallMessaging.SemanticKernel;
using InCallMessaging.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using static VoiceBotHost.Tests.TestSupport.VoiceBotTestHost;

namespace VoiceBotHost.Tests.State;

/// <summary>
/// Issue 14, point 6: the sample runs as two instances sharing a real redis-server (<c>ConnectionStrings:Redis</c>), each
/// on its own port; the caller's text posted (signed, over HTTP) to the instance that does not hold the call reaches it.
/// </summary>
public sealed class TwoInstancesTests
{
    [Fact]
    public async Task A_reply_posted_to_the_other_instance_reaches_the_call_on_its_owner()
    {
        await using var redis = await RedisServer.StartAsync();
        var settings = new Dictionary<string, string?> { ["ConnectionStrings:Redis"] = redis.ConnectionString };
        await using var owner = await StartAsync(settings: settings);
        await using var other = await StartAsync(settings: settings);
        var call = owner.Calls.StartCall(NewCallSid(), Caller, SmsSender);
        var runtime = owner.App.Services.GetRequiredService<InCallMessagingRuntime>();
        var kernel = Kernel.CreateBuilder().Build();
        kernel.Plugins.Add(runtime.Plugin);
        await kernel.WithCallSession(call).InvokeAsync(runtime.Plugin["send_summary"], new() { ["message"] = "Your order ships Monday." });
        // The owner's claims go to Redis in the background (the voice turn never waits on them): the test waits for them.
        var sentId = Assert.Single(call.Messages).MessageId;
        using (var connection = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(redis.ConnectionString))
        {
            var database = connection.GetDatabase();
            Assert.True(await EventuallyAsync(() => database.KeyExists($"incall:route:msg:{sentId}"), seconds: 30));
        }

        var reply = InboundSms("Can it come Tuesday?");

        using var response = await other.PostSignedAsync("/twilio/messages", reply);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(await EventuallyAsync(() => call.GetVariable("sms_reply") == "Can it come Tuesday?", seconds: 30));
        Assert.Equal(1, call.RepliesReceived);
        Assert.Equal("Redis", runtime.MessageLog.GetType().Name.Replace("StateStore", "", StringComparison.Ordinal));
    }
}
