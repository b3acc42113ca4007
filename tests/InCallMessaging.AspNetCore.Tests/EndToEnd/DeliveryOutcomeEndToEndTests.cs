using System.Net;
using System.Text.Json.Nodes;
using InCallMessaging.AspNetCore.Tests.TestSupport;
using InCallMessaging.SemanticKernel;
using InCallMessaging.Testing;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using Microsoft.SemanticKernel.Connectors.OpenAI;

namespace InCallMessaging.AspNetCore.Tests.EndToEnd;

/// <summary>
/// Late delivery outcomes, end to end: Twilio's signed status callbacks through the real webhook endpoint on Kestrel,
/// the plugin driven by SK's OpenAI connector against a scripted OpenAI-compatible server that rejects any history
/// OpenAI would reject (a message between a tool call and its result).
/// </summary>
public sealed class DeliveryOutcomeEndToEndTests : IAsyncLifetime
{
    private static readonly TimeSpan Safety = TimeSpan.FromSeconds(10);

    private ScriptedOpenAIServer _llm = null!;

    public async Task InitializeAsync() => _llm = await ScriptedOpenAIServer.StartAsync();

    public async Task DisposeAsync() => await _llm.DisposeAsync();

    private Kernel KernelFor(WebhookTestHost host, CallSession session)
    {
        var builder = Kernel.CreateBuilder();
        builder.AddOpenAIChatCompletion(modelId: "test", endpoint: _llm.Endpoint, apiKey: "test");
        builder.Plugins.Add(host.Plugin);
        return builder.Build().WithCallSession(session);
    }

    /// <summary>One turn as a host runs it: lines that arrived first, then what the caller said, then the model.</summary>
    private static Task<ChatMessageContent> TurnAsync(Kernel kernel, CallSession session, ChatHistory history, string said)
    {
        session.ApplyPendingReplies(history);
        history.AddUserMessage(said);
        var settings = new OpenAIPromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto() };
        return kernel.GetRequiredService<IChatCompletionService>().GetChatMessageContentAsync(history, settings, kernel);
    }

    private static List<string> UserLines(JsonObject request) =>
        [.. ScriptedOpenAIServer.MessagesOf(request).Where(m => (string?)m!["role"] == "user").Select(m => (string?)m!["content"] ?? "")];

    private static Task<HttpResponseMessage> StatusAsync(WebhookTestHost host, string messageId, string status, string errorCode) =>
        host.PostSignedAsync("twilio/status",
        [
            new("MessageSid", messageId),
            new("MessageStatus", status),
            new("ErrorCode", errorCode),
            new("AccountSid", WebhookTestHost.AccountSid),
        ]);

    [Fact]
    public async Task Late_failure_reaches_the_models_next_request_after_the_tool_result_never_inside_a_tool_call()
    {
        await using var host = await WebhookTestHost.StartAsync();
        var session = host.StartCall();
        var kernel = KernelFor(host, session);
        var history = new ChatHistory();

        // Turn 1: the model texts the link (no wait), then asks for a confirmation by text and waits. While that wait is
        // in flight (the history ends in an unanswered tool call), Twilio reports the link undelivered.
        _llm.Then(ScriptedTurn.Call("messaging-send_link"))
            .Then(ScriptedTurn.Call("messaging-confirm_by_text"))
            .Then(ScriptedTurn.Text("Thanks, you're confirmed."));
        var turn = TurnAsync(kernel, session, history, "Text me the link and I'll confirm.");
        var link = await host.Loopback.WaitForMessageAsync(m => m.Message.ActionName == "send_link").WaitAsync(Safety);
        await host.Loopback.WaitForMessageAsync(m => m.Message.ActionName == "confirm_by_text").WaitAsync(Safety);
        using (var failed = await StatusAsync(host, link.MessageId, "undelivered", "30003"))
        {
            Assert.Equal(HttpStatusCode.OK, failed.StatusCode);
        }

        Assert.Equal(0, session.ApplyPendingReplies([.. history])); // a host that tried now would add nothing
        using (var yes = await host.PostSignedAsync("twilio/messages", WebhookTestHost.InboundSms("SM30000000000000000000000000000001", "YES")))
        {
            Assert.Equal(HttpStatusCode.OK, yes.StatusCode);
        }

        Assert.Equal("Thanks, you're confirmed.", (await turn.WaitAsync(Safety)).Content);

        // Turn 2: the failure and the texted YES come before the caller's next words, after turn 1's tool results.
        _llm.Then(ScriptedTurn.Text("Sorry, the link didn't arrive. Let me read it to you."));
        await TurnAsync(kernel, session, history, "Did the link arrive?").WaitAsync(Safety);

        Assert.Empty(_llm.Rejections);
        Assert.Equal(
            [
                "Text me the link and I'll confirm.",
                "[SMS Status]: the text from send_link was not delivered (30003: the phone is unreachable or switched off).",
                "[SMS Reply]: YES",
                "Did the link arrive?",
            ],
            UserLines(_llm.Requests[^1]));
        Assert.Equal("undelivered", session.GetVariable(CallVariables.SmsStatus));
    }

    [Fact]
    public async Task WhatsApp_63016_in_a_status_callback_sends_the_template_once_and_the_model_hears_why()
    {
        await using var host = await WebhookTestHost.StartAsync(o => o.Plugin = plugin => plugin.Actions.Add(new InCallMessageAction
        {
            Name = "send_payment_link",
            Description = "Sends the caller the payment link on WhatsApp.",
            Channel = MessageChannel.WhatsApp,
            Sender = "whatsapp",
            Body = "Pay here: https://pay.example.com/123",
            Template = new WhatsAppTemplate { TemplateId = WebhookTestHost.TemplateId, Variables = { ["1"] = "123" } },
        }));
        var session = host.StartCall();
        var kernel = KernelFor(host, session);
        var history = new ChatHistory();

        // The caller wrote on WhatsApp earlier, so the local window check allows free-form text.
        using (var hello = await host.PostSignedAsync("twilio/messages",
            WebhookTestHost.InboundSms("SM30000000000000000000000000000002", "hello", from: "whatsapp:" + WebhookTestHost.Caller, to: "whatsapp:" + WebhookTestHost.WhatsAppSender)))
        {
            Assert.Equal(HttpStatusCode.OK, hello.StatusCode);
        }

        _llm.Then(ScriptedTurn.Call("messaging-send_payment_link")).Then(ScriptedTurn.Text("I've sent the payment link."));
        await TurnAsync(kernel, session, history, "Send me the payment link on WhatsApp.").WaitAsync(Safety);
        var freeForm = Assert.Single(host.Loopback.SentMessages);
        Assert.Null(freeForm.Message.Content);

        // Twilio (Meta's clock) disagrees after the fact: the window was closed.
        foreach (var status in new[] { "failed", "undelivered", "failed" })
        {
            using var response = await StatusAsync(host, freeForm.MessageId, status, "63016");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        _llm.Then(ScriptedTurn.Text("It went out as our approved message instead."));
        await TurnAsync(kernel, session, history, "Did it arrive?").WaitAsync(Safety);

        Assert.Equal(2, host.Loopback.SentMessages.Count);
        Assert.Equal(WebhookTestHost.TemplateId, host.Loopback.SentMessages[1].Message.Content!.TemplateId);
        Assert.Contains("[WhatsApp Status]: the WhatsApp message from send_payment_link was not delivered as free text because the caller's 24-hour WhatsApp window had closed; its approved template was sent instead.",
            UserLines(_llm.Requests[^1]));
        Assert.Empty(_llm.Rejections);
    }

    [Fact]
    public async Task A_photo_texted_back_reaches_the_models_next_request_as_the_tool_result_and_a_transcript_line()
    {
        const string photo = "https://api.twilio.com/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages/MM0123456789abcdef0123456789abcdef/Media/ME0123456789abcdef0123456789abcdef";
        await using var host = await WebhookTestHost.StartAsync(o => o.Plugin = plugin =>
        {
            plugin.MediaUrlsInTranscript = true;
            plugin.Actions.Add(new InCallMessageAction
            {
                Name = "request_photo",
                Description = "Asks the caller by WhatsApp for a photo of the damage and waits for it.",
                Channel = MessageChannel.WhatsApp,
                Sender = "whatsapp",
                Template = new WhatsAppTemplate { TemplateId = WebhookTestHost.TemplateId, Variables = { ["1"] = "photo" } },
                WaitForReply = true,
            });
        });
        var session = host.StartCall();
        var kernel = KernelFor(host, session);
        var history = new ChatHistory();
        _llm.Then(ScriptedTurn.Call("messaging-request_photo")).Then(ScriptedTurn.Text("Thanks, I can see the photo."));

        var turn = TurnAsync(kernel, session, history, "I'll send you a photo of the damage.");
        await host.Loopback.WaitForMessageAsync(m => m.Message.ActionName == "request_photo").WaitAsync(Safety);
        using (var waiting = new CancellationTokenSource(Safety))
        {
            while (!session.IsWaitingForReply)
            {
                await Task.Delay(10, waiting.Token);
            }
        }

        using (var reply = await host.PostSignedAsync("twilio/messages",
        [
            new("MessageSid", "MM30000000000000000000000000000003"),
            new("AccountSid", WebhookTestHost.AccountSid),
            new("From", "whatsapp:" + WebhookTestHost.Caller),
            new("To", "whatsapp:" + WebhookTestHost.WhatsAppSender),
            new("Body", ""),
            new("NumMedia", "1"),
            new("MediaUrl0", photo),
            new("MediaContentType0", "image/jpeg"),
        ]))
        {
            Assert.Equal(HttpStatusCode.OK, reply.StatusCode);
        }

        await turn.WaitAsync(Safety);
        _llm.Then(ScriptedTurn.Text("Let's file the claim."));
        await TurnAsync(kernel, session, history, "Did you get it?").WaitAsync(Safety);

        // The waiting action's result, in the request that followed it, carries the attachment.
        var result = JsonNode.Parse(ScriptedOpenAIServer.LastToolResult(_llm.Requests[1])!)!;
        Assert.Equal("replied", (string?)result["status"]);
        Assert.Equal(photo, (string?)result["media"]![0]!["url"]);
        Assert.Equal("image/jpeg", (string?)result["media"]![0]!["content_type"]);

        // The next turn's request has the transcript line, before the caller's words.
        var lines = UserLines(_llm.Requests[^1]);
        Assert.Equal($"[WhatsApp Reply]: [image/jpeg attachment: {photo}]", lines[^2]);
        Assert.Equal("Did you get it?", lines[^1]);
        Assert.Empty(_llm.Rejections);
    }
}
