using System.Net;
using System.Net.Http.Headers;
using System.Text;
using InCallMessaging.AspNetCore.Tests.TestSupport;
using InCallMessaging.SemanticKernel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.SemanticKernel.ChatCompletion;

namespace InCallMessaging.AspNetCore.Tests.Twilio;

public sealed class TwilioInboundEndpointTests
{
    private const string EmptyTwiml = """<?xml version="1.0" encoding="UTF-8"?><Response/>""";

    [Fact]
    public async Task Signed_reply_lands_in_the_calls_history_and_variable()
    {
        await using var host = await WebhookTestHost.StartAsync();
        var session = host.StartCall();
        var sent = await host.InvokeAsync(session, "send_link");
        Assert.Equal("sent", sent.GetProperty("status").GetString());

        using var response = await host.PostSignedAsync("twilio/messages", WebhookTestHost.InboundSms("SM00000000000000000000000000000001", "On my way"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/xml", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(EmptyTwiml, await response.Content.ReadAsStringAsync());
        var history = new ChatHistory();
        Assert.Equal(1, session.ApplyPendingReplies(history));
        Assert.Equal("[SMS Reply]: On my way", history[^1].Content);
        Assert.Equal(AuthorRole.User, history[^1].Role);
        Assert.Equal("On my way", session.GetVariable("sms_reply"));
    }

    [Fact]
    public async Task Reply_resumes_the_action_waiting_for_it()
    {
        await using var host = await WebhookTestHost.StartAsync();
        var session = host.StartCall();
        var invocation = host.InvokeAsync(session, "confirm_by_text");
        var outbound = await host.Loopback.WaitForMessageAsync(m => m.Message.CallId == session.CallId).WaitAsync(TimeSpan.FromSeconds(10));

        var form = WebhookTestHost.InboundSms("SM00000000000000000000000000000002", "YES");
        form.Add(new("OriginalRepliedMessageSid", outbound.MessageId));
        using var response = await host.PostSignedAsync("twilio/messages", form);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = await invocation.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("replied", result.GetProperty("status").GetString());
        Assert.Equal("YES", result.GetProperty("reply").GetString());
        Assert.Equal("YES", session.GetVariable("sms_reply"));
    }

    [Fact]
    public async Task A_redelivered_message_is_answered_200_and_delivered_once()
    {
        await using var host = await WebhookTestHost.StartAsync();
        var session = host.StartCall();
        await host.InvokeAsync(session, "send_link");
        var form = WebhookTestHost.InboundSms("SM00000000000000000000000000000003", "See you at 3");

        using var first = await host.PostSignedAsync("twilio/messages", form);
        using var second = await host.PostSignedAsync("twilio/messages", form);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(EmptyTwiml, await second.Content.ReadAsStringAsync());
        var history = new ChatHistory();
        Assert.Equal(1, session.ApplyPendingReplies(history));
        Assert.Single(session.Messages, m => m.Direction == MessageDirection.Inbound);
        Assert.Contains(host.Logs.Webhooks, e => e.Message.Contains(": Duplicate.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Concurrent_redeliveries_are_delivered_once()
    {
        await using var host = await WebhookTestHost.StartAsync();
        var session = host.StartCall();
        await host.InvokeAsync(session, "send_link");
        var form = WebhookTestHost.InboundSms("SM00000000000000000000000000000004", "Both at once");

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => host.PostSignedAsync("twilio/messages", form)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(1, session.ApplyPendingReplies(new ChatHistory()));
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task A_reply_after_hang_up_goes_to_the_after_call_handler()
    {
        var handler = new RecordingAfterCallHandler();
        await using var host = await WebhookTestHost.StartAsync(o => o.ConfigureServices = s => s.AddSingleton<IAfterCallReplyHandler>(handler));
        var session = host.StartCall();
        await host.InvokeAsync(session, "send_link");
        Assert.True(host.Calls.EndCall(session.CallId));

        using var response = await host.PostSignedAsync("twilio/messages", WebhookTestHost.InboundSms("SM00000000000000000000000000000005", "Sorry, missed you"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (ended, reply) = Assert.Single(handler.Received);
        Assert.Same(session, ended);
        Assert.Equal("Sorry, missed you", reply.Text);
        Assert.Equal("Twilio", reply.Provider);
        Assert.Equal(WebhookTestHost.Caller, reply.From);
        Assert.Contains(host.Logs.Webhooks, e => e.Message.Contains("DeliveredAfterCall", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_slow_after_call_handler_does_not_hold_up_the_answer()
    {
        var handler = new BlockingAfterCallHandler();
        // Long enough for the handler to start even on a loaded machine (it blocks there), short enough to show the
        // answer does not wait for it.
        await using var host = await WebhookTestHost.StartAsync(o =>
        {
            o.MaxDeliveryWait = TimeSpan.FromSeconds(1);
            o.ConfigureServices = s => s.AddSingleton<IAfterCallReplyHandler>(handler);
        });
        var session = host.StartCall();
        await host.InvokeAsync(session, "send_link");
        host.Calls.EndCall(session.CallId);

        using var response = await host.PostSignedAsync("twilio/messages", WebhookTestHost.InboundSms("SM0000000000000000000000000000000e", "late"))
            .WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(handler.Started.Task.IsCompleted);
        handler.Release.SetResult();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!host.Logs.Webhooks.Any(e => e.Message.Contains("in the background: DeliveredAfterCall", StringComparison.Ordinal)))
        {
            Assert.True(DateTime.UtcNow < deadline, "The background delivery was not logged.");
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task Stop_blocks_the_next_send()
    {
        await using var host = await WebhookTestHost.StartAsync();
        var session = host.StartCall();
        await host.InvokeAsync(session, "send_link");
        var form = WebhookTestHost.InboundSms("SM00000000000000000000000000000006", "STOP");
        form.Add(new("OptOutType", "STOP"));

        using var response = await host.PostSignedAsync("twilio/messages", form);
        var next = await host.InvokeAsync(session, "confirm_by_text");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("blocked", next.GetProperty("status").GetString());
        Assert.Equal("opted_out", next.GetProperty("reason").GetString());
        Assert.Single(host.Loopback.SentMessages, m => m.Message.CallId == session.CallId);
    }

    [Fact]
    public async Task WhatsApp_reply_with_media_reaches_the_call_with_its_attachment()
    {
        await using var host = await WebhookTestHost.StartAsync();
        var session = host.StartCall();
        var asked = await host.InvokeAsync(session, "ask_for_photo");
        Assert.Equal("sent", asked.GetProperty("status").GetString());
        var form = new List<KeyValuePair<string, string>>
        {
            new("MessageSid", "MM00000000000000000000000000000007"),
            new("From", "whatsapp:" + WebhookTestHost.Caller),
            new("To", "whatsapp:" + WebhookTestHost.WhatsAppSender),
            new("Body", "Here it is"),
            new("NumMedia", "1"),
            new("MediaUrl0", "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"),
            new("MediaContentType0", "image/jpeg"),
            new("ProfileName", "Ada"),
            new("WaId", "14155550100"),
            new("MessageType", "image"),
        };

        using var response = await host.PostSignedAsync("twilio/messages", form);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var history = new ChatHistory();
        session.ApplyPendingReplies(history);
        Assert.Equal("[WhatsApp Reply]: Here it is [image/jpeg attachment]", history[^1].Content);
        Assert.Equal("Here it is", session.GetVariable("whatsapp_reply"));
        Assert.Contains(session.Messages, m => m is { Direction: MessageDirection.Inbound, Channel: MessageChannel.WhatsApp });
    }

    [Fact]
    public async Task Media_only_WhatsApp_reply_resumes_the_waiting_action_with_its_attachment()
    {
        const string MediaUrl = "https://api.twilio.com/2010-04-01/Accounts/" + WebhookTestHost.AccountSid + "/Messages/MM00000000000000000000000000000009/Media/ME00000000000000000000000000000009";
        await using var host = await WebhookTestHost.StartAsync(o => o.Plugin = plugin => plugin.Actions.Add(new InCallMessageAction
        {
            Name = "wait_for_photo",
            Description = "Asks the caller on WhatsApp for a photo of the damage and waits for it.",
            Channel = MessageChannel.WhatsApp,
            Sender = "whatsapp",
            Template = new WhatsAppTemplate { TemplateId = WebhookTestHost.TemplateId, Variables = { ["1"] = "photo" } },
            WaitForReply = true,
            ReplyTimeout = TimeSpan.FromSeconds(30),
        }));
        var session = host.StartCall();
        var invocation = host.InvokeAsync(session, "wait_for_photo");
        var outbound = await host.Loopback.WaitForMessageAsync(m => m.Message.CallId == session.CallId).WaitAsync(TimeSpan.FromSeconds(10));
        var form = new List<KeyValuePair<string, string>>
        {
            new("SmsMessageSid", "MM00000000000000000000000000000009"),
            new("NumMedia", "1"),
            new("ProfileName", "Ada"),
            new("MessageType", "image"),
            new("SmsSid", "MM00000000000000000000000000000009"),
            new("WaId", "14155550100"),
            new("SmsStatus", "received"),
            new("Body", ""),
            new("To", "whatsapp:" + WebhookTestHost.WhatsAppSender),
            new("NumSegments", "1"),
            new("MediaContentType0", "image/jpeg"),
            new("MessageSid", "MM00000000000000000000000000000009"),
            new("AccountSid", WebhookTestHost.AccountSid),
            new("From", "whatsapp:" + WebhookTestHost.Caller),
            new("MediaUrl0", MediaUrl),
            new("ApiVersion", "2010-04-01"),
        };

        using var response = await host.PostSignedAsync("twilio/messages", form);
        var result = await invocation.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("replied", result.GetProperty("status").GetString());
        Assert.Equal(outbound.MessageId, result.GetProperty("message_id").GetString());
        Assert.Equal("", result.GetProperty("reply").GetString());
        var media = Assert.Single(result.GetProperty("media").EnumerateArray());
        Assert.Equal(MediaUrl, media.GetProperty("url").GetString());
        Assert.Equal("image/jpeg", media.GetProperty("content_type").GetString());
        Assert.Equal($$"""[{"url":"{{MediaUrl}}","content_type":"image/jpeg"}]""", session.GetVariable("whatsapp_reply_media"));
        var history = new ChatHistory();
        session.ApplyPendingReplies(history);
        Assert.Equal("[WhatsApp Reply]: [image/jpeg attachment]", Assert.Single(history).Content);
        var received = Assert.Single(session.Messages, m => m.Direction == MessageDirection.Inbound);
        Assert.Equal([new InboundMedia(new Uri(MediaUrl), "image/jpeg")], received.Media);
    }

    [Fact]
    public async Task Logs_mask_numbers_and_never_contain_the_text()
    {
        await using var host = await WebhookTestHost.StartAsync();
        var session = host.StartCall();
        await host.InvokeAsync(session, "send_link");

        using var response = await host.PostSignedAsync("twilio/messages", WebhookTestHost.InboundSms("SM00000000000000000000000000000008", "my secret code is 4711"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var accepted = Assert.Single(host.Logs.Webhooks, e => e.Message.StartsWith("Inbound Twilio", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Information, accepted.Level);
        Assert.Contains(WebhookTestHost.MaskedCaller, accepted.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(host.Logs.Entries, e => e.Message.Contains("4711", StringComparison.Ordinal));
        Assert.DoesNotContain(host.Logs.Entries, e => e.Message.Contains(WebhookTestHost.Caller, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("From")]
    [InlineData("To")]
    public async Task A_missing_address_is_answered_400_naming_the_field(string field)
    {
        await using var host = await WebhookTestHost.StartAsync();
        var form = WebhookTestHost.InboundSms("SM00000000000000000000000000000009", "hi").Where(p => p.Key != field).ToList();

        using var response = await host.PostSignedAsync("twilio/messages", form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains($"'{field}'", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(host.Hub.UnmatchedReplies);
    }

    [Fact]
    public async Task A_missing_message_sid_is_answered_400_naming_the_field()
    {
        await using var host = await WebhookTestHost.StartAsync();
        var form = WebhookTestHost.InboundSms("SM0000000000000000000000000000000a", "hi")
            .Where(p => p.Key is not ("MessageSid" or "SmsMessageSid" or "SmsSid")).ToList();

        using var response = await host.PostSignedAsync("twilio/messages", form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("'MessageSid'", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains(host.Logs.Webhooks, e => e.Level == LogLevel.Warning && e.Message.Contains("400", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_bad_media_count_is_answered_400()
    {
        await using var host = await WebhookTestHost.StartAsync();
        var form = WebhookTestHost.InboundSms("SM0000000000000000000000000000000b", "hi").Where(p => p.Key != "NumMedia").ToList();
        form.Add(new("NumMedia", "two"));

        using var response = await host.PostSignedAsync("twilio/messages", form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("'NumMedia'", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_signed_json_post_is_answered_400_naming_the_content_type()
    {
        await using var host = await WebhookTestHost.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, host.Url("twilio/messages"))
        {
            Content = new StringContent("""{"MessageSid":"SM1"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Twilio-Signature", TwilioTestSigner.Sign(host.TwilioUrl("twilio/messages"), [], WebhookTestHost.AuthToken));

        using var response = await host.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("Content-Type", text, StringComparison.Ordinal);
        Assert.Contains("application/x-www-form-urlencoded", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_over_the_limit_is_refused_before_parsing()
    {
        await using var host = await WebhookTestHost.StartAsync(o => o.MaxBodyBytes = 2048);
        var form = WebhookTestHost.InboundSms("SM0000000000000000000000000000000c", new string('x', 4096));

        using var response = await host.PostSignedAsync("twilio/messages", form);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("2048", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_chunked_body_over_the_limit_is_refused_too()
    {
        await using var host = await WebhookTestHost.StartAsync(o => o.MaxBodyBytes = 2048);
        var form = WebhookTestHost.InboundSms("SM0000000000000000000000000000000d", new string('x', 4096));
        using var request = TwilioTestSigner.SignedForm(host.Url("twilio/messages"), host.TwilioUrl("twilio/messages"), form, WebhookTestHost.AuthToken);
        var bytes = await request.Content!.ReadAsByteArrayAsync();
        request.Content = new StreamContent(new MemoryStream(bytes));
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");
        request.Headers.TransferEncodingChunked = true;

        using var response = await host.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task A_body_that_arrives_in_pieces_is_read_whole()
    {
        await using var host = await WebhookTestHost.StartAsync();
        var session = host.StartCall();
        await host.InvokeAsync(session, "send_link");
        var text = "Slow network, " + new string('z', 900); // within MaxReplyLength (1000): kept whole
        using var request = await TrickledAsync(host, WebhookTestHost.InboundSms("SM0000000000000000000000000000000e", text), pieces: 4, chunked: false);

        using var response = await host.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(text, session.GetVariable("sms_reply"));
    }

    [Fact]
    public async Task A_chunked_body_under_the_limit_is_read_to_its_end()
    {
        await using var host = await WebhookTestHost.StartAsync();
        var session = host.StartCall();
        await host.InvokeAsync(session, "send_link");
        using var request = await TrickledAsync(host, WebhookTestHost.InboundSms("SM0000000000000000000000000000000f", "Chunked but fine"), pieces: 3, chunked: true);

        using var response = await host.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Chunked but fine", session.GetVariable("sms_reply"));
    }

    [Fact]
    public async Task Concurrent_replies_of_different_lengths_each_keep_their_own_text()
    {
        // The endpoint decodes each body in a pooled array: a reused array must never leak one reply into another.
        await using var host = await WebhookTestHost.StartAsync(o => o.Plugin = plugin => plugin.MaxPendingReplyLines = 200);
        var session = host.StartCall();
        await host.InvokeAsync(session, "send_link");
        var texts = Enumerable.Range(0, 120).Select(i => $"reply {i:D3}:" + new string((char)('a' + (i % 26)), (i * 37) % 700)).ToArray();

        var responses = await Task.WhenAll(texts.Select((text, i) =>
            host.PostSignedAsync("twilio/messages", WebhookTestHost.InboundSms($"SM{i + 0x100:x32}", text))));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var history = new ChatHistory();
        session.ApplyPendingReplies(history);
        Assert.Equal(texts.Select(t => "[SMS Reply]: " + t).Order(StringComparer.Ordinal), history.Select(m => m.Content!).Order(StringComparer.Ordinal));
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    /// <summary>A signed inbound-message request whose body is sent in parts, with Content-Length or chunked.</summary>
    private static async Task<HttpRequestMessage> TrickledAsync(WebhookTestHost host, List<KeyValuePair<string, string>> form, int pieces, bool chunked)
    {
        var request = TwilioTestSigner.SignedForm(host.Url("twilio/messages"), host.TwilioUrl("twilio/messages"), form, WebhookTestHost.AuthToken);
        var bytes = await request.Content!.ReadAsByteArrayAsync();
        request.Content = new TrickleContent(bytes, pieces, pause: TimeSpan.FromMilliseconds(30));
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");
        if (chunked)
        {
            request.Headers.TransferEncodingChunked = true;
        }
        else
        {
            request.Content.Headers.ContentLength = bytes.Length;
        }

        return request;
    }

    /// <summary>A request body sent in <c>pieces</c> parts with a pause between them, as a slow client would.</summary>
    private sealed class TrickleContent(byte[] body, int pieces, TimeSpan pause) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            var size = (body.Length + pieces - 1) / pieces;
            for (var offset = 0; offset < body.Length; offset += size)
            {
                await stream.WriteAsync(body.AsMemory(offset, Math.Min(size, body.Length - offset)));
                await stream.FlushAsync();
                await Task.Delay(pause);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = body.Length;
            return true;
        }
    }

    private sealed class RecordingAfterCallHandler : IAfterCallReplyHandler
    {
        private readonly List<(CallSession, InboundMessage)> _received = [];

        public IReadOnlyList<(CallSession Session, InboundMessage Reply)> Received
        {
            get
            {
                lock (_received)
                {
                    return [.. _received];
                }
            }
        }

        public Task HandleAfterCallReplyAsync(CallSession session, InboundMessage reply, CancellationToken cancellationToken)
        {
            lock (_received)
            {
                _received.Add((session, reply));
            }

            return Task.CompletedTask;
        }
    }

    private sealed class BlockingAfterCallHandler : IAfterCallReplyHandler
    {
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task HandleAfterCallReplyAsync(CallSession session, InboundMessage reply, CancellationToken cancellationToken)
        {
            Started.TrySetResult();
            await Release.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        }
    }
}
