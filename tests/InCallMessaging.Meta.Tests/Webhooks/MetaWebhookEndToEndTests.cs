using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using InCallMessaging.Meta.Tests.TestSupport;
using InCallMessaging.SemanticKernel;
using InCallMessaging.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using Microsoft.SemanticKernel.Connectors.OpenAI;

namespace InCallMessaging.Meta.Tests.Webhooks;

/// <summary>
/// The Meta webhook end to end on Kestrel: Meta's documented JSON, signed as Meta signs it, into the same reply hub as
/// every provider; the plugin driven by SK's OpenAI connector against a scripted OpenAI-compatible server.
/// </summary>
public sealed class MetaWebhookEndToEndTests : IAsyncLifetime
{
    private static readonly TimeSpan Safety = TimeSpan.FromSeconds(10);

    private ScriptedOpenAIServer _llm = null!;

    public async Task InitializeAsync() => _llm = await ScriptedOpenAIServer.StartAsync();

    public async Task DisposeAsync() => await _llm.DisposeAsync();

    /// <summary>An authentication template: the code in the body and in the URL button, and the caller texts it back.</summary>
    private static void VerifyByWhatsApp(InCallMessagingOptions plugin) => plugin.Actions.Add(new InCallMessageAction
    {
        Name = "send_otp",
        Description = "Sends the caller a one-time code on WhatsApp and waits for them to text it back.",
        Channel = MessageChannel.WhatsApp,
        Sender = "whatsapp",
        Parameters = new ActionParameters
        {
            Properties = { ["otp_code"] = new ActionParameter { Description = "The 6-digit code.", Pattern = "^[0-9]{6}$" } },
            Required = ["otp_code"],
        },
        Template = new WhatsAppTemplate { TemplateId = "verify_code", Variables = { ["1"] = "{{ otp_code }}", ["button.0"] = "{{ otp_code }}" } },
        WaitForReply = true,
        ReplyTimeout = TimeSpan.FromSeconds(30),
    });

    private static InCallMessageAction Notice() => new()
    {
        Name = "send_notice",
        Description = "Sends the caller a notice on WhatsApp.",
        Channel = MessageChannel.WhatsApp,
        Sender = "whatsapp",
        Template = new WhatsAppTemplate { TemplateId = "appointment_notice" },
    };

    private static Task<HttpResponseMessage> GetAsync(MetaTestHost host, string query) => host.Client.GetAsync("meta?" + query);

    [Fact]
    public async Task The_verification_challenge_is_echoed_for_the_right_token_only()
    {
        await using var host = await MetaTestHost.StartAsync(p => p.Actions.Add(Notice()));

        using var ok = await GetAsync(host, $"hub.mode=subscribe&hub.verify_token={MetaTestHost.VerifyToken}&hub.challenge=1158201444");
        using var wrong = await GetAsync(host, "hub.mode=subscribe&hub.verify_token=guessed&hub.challenge=1158201444");
        using var noMode = await GetAsync(host, $"hub.verify_token={MetaTestHost.VerifyToken}&hub.challenge=1158201444");

        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("1158201444", await ok.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        Assert.DoesNotContain("1158201444", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, noMode.StatusCode);
    }

    [Fact]
    public async Task A_tampered_or_unsigned_body_gets_403_and_nothing_is_delivered()
    {
        await using var host = await MetaTestHost.StartAsync(p => p.Actions.Add(Notice()));
        var session = host.StartCall();
        var signed = MetaPayloads.Batch(MetaPayloads.Text("wamid.tampered", "482913"));
        var signature = MetaSignature.Sign(signed, MetaTestHost.AppSecret);
        var tampered = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(signed).Replace("482913", "482914", StringComparison.Ordinal));

        using var changed = await host.PostSignedAsync(tampered, signature);
        using var otherSecret = await host.PostSignedAsync(signed, MetaSignature.Sign(signed, "not-the-app-secret"));
        using var unsigned = await host.Client.PostAsync("meta", new ByteArrayContent(signed));

        Assert.Equal(HttpStatusCode.Forbidden, changed.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, otherSecret.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, unsigned.StatusCode);
        Assert.Empty(session.Messages);
        Assert.Empty(host.Services.GetRequiredService<IReplyHub>().UnmatchedReplies);

        // The control: the untouched body with its signature is accepted.
        using var original = await host.PostSignedAsync(signed, signature);
        Assert.Equal(HttpStatusCode.OK, original.StatusCode);
        Assert.Single(session.Messages);
    }

    [Fact]
    public async Task A_batch_of_two_messages_resumes_the_waiting_action_and_reaches_the_models_next_request_once_even_when_redelivered()
    {
        await using var host = await MetaTestHost.StartAsync(VerifyByWhatsApp);
        var session = host.StartCall();
        var builder = Kernel.CreateBuilder();
        builder.AddOpenAIChatCompletion(modelId: "test", endpoint: _llm.Endpoint, apiKey: "test");
        builder.Plugins.Add(host.Plugin);
        var kernel = builder.Build().WithCallSession(session);
        var chat = kernel.GetRequiredService<IChatCompletionService>();
        var settings = new OpenAIPromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto() };
        var history = new ChatHistory();

        _llm.Then(ScriptedTurn.Call("messaging-send_otp", new { otp_code = "482913" })).Then(ScriptedTurn.Text("Thanks, you're verified."));
        session.ApplyPendingReplies(history);
        history.AddUserMessage("Send me the code on WhatsApp.");
        var turn = chat.GetChatMessageContentAsync(history, settings, kernel);

        await host.Graph.WaitForRequestsAsync(1, Safety);
        using (var waiting = new CancellationTokenSource(Safety))
        {
            while (!session.IsWaitingForReply)
            {
                await Task.Delay(10, waiting.Token);
            }
        }

        var sent = session.Messages.Single(m => m.Direction == MessageDirection.Outbound).MessageId;
        var batch = MetaPayloads.TwoEntries(
            MetaPayloads.Text("wamid.reply-code", "482913", context: sent),
            MetaPayloads.ButtonReply("wamid.reply-button", "confirm", "Yes, that's me"));
        using (var first = await host.PostSignedAsync(batch))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        Assert.Equal("Thanks, you're verified.", (await turn.WaitAsync(Safety)).Content);

        // Meta sends the batch again (it missed our 200): nothing is delivered twice.
        using (var again = await host.PostSignedAsync(batch))
        {
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        }

        _llm.Then(ScriptedTurn.Text("Great."));
        session.ApplyPendingReplies(history);
        history.AddUserMessage("Did you get it?");
        await chat.GetChatMessageContentAsync(history, settings, kernel).WaitAsync(Safety);

        var result = JsonNode.Parse(ScriptedOpenAIServer.LastToolResult(_llm.Requests[1])!)!;
        Assert.Equal("replied", (string?)result["status"]);
        Assert.Equal("482913", (string?)result["reply"]);
        var userLines = ScriptedOpenAIServer.MessagesOf(_llm.Requests[^1]).Where(m => (string?)m!["role"] == "user").Select(m => (string?)m!["content"]).ToList();
        Assert.Single(userLines, l => l == "[WhatsApp Reply]: Yes, that's me");
        Assert.Equal(2, session.RepliesReceived);
        Assert.Equal(2, session.Messages.Count(m => m.Direction == MessageDirection.Inbound));
        Assert.Equal("Yes, that's me", session.GetVariable(CallVariables.WhatsAppReply));
        Assert.Empty(_llm.Rejections);
    }

    [Fact]
    public async Task An_image_reply_arrives_with_its_caption_and_its_media_reference()
    {
        await using var host = await MetaTestHost.StartAsync(p => p.Actions.Add(Notice()));
        var session = host.StartCall();
        Assert.Equal("sent", (await host.InvokeAsync(session, "send_notice")).GetProperty("status").GetString());

        using var response = await host.PostSignedAsync(MetaPayloads.Batch(MetaPayloads.Image("wamid.photo", "1234567890", "the damage")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var inbound = session.Messages.Single(m => m.Direction == MessageDirection.Inbound);
        Assert.Equal("the damage", inbound.Text);
        var media = Assert.Single(inbound.Media);
        Assert.Equal("image/jpeg", media.ContentType);
        Assert.EndsWith("/v24.0/1234567890", media.Url.AbsoluteUri, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Statuses_only_move_forward_whatever_order_they_arrive_in_and_a_failure_names_its_code()
    {
        await using var host = await MetaTestHost.StartAsync(p =>
        {
            p.Actions.Add(Notice());
            var second = Notice();
            second.Name = "send_reminder";
            second.Template = new WhatsAppTemplate { TemplateId = "appointment_reminder" };
            p.Actions.Add(second);
        });
        var session = host.StartCall();
        var notice = (await host.InvokeAsync(session, "send_notice")).GetProperty("message_id").GetString()!;
        var reminder = (await host.InvokeAsync(session, "send_reminder")).GetProperty("message_id").GetString()!;
        CallMessage Message(string id) => session.Messages.Single(m => m.MessageId == id);

        // Meta does not guarantee order: read, then the delivered and sent that came before it.
        using (var batch = await host.PostSignedAsync(MetaPayloads.Batch(
            MetaPayloads.Status(notice, "read"), MetaPayloads.Status(notice, "delivered"), MetaPayloads.Status(notice, "sent"))))
        {
            Assert.Equal(HttpStatusCode.OK, batch.StatusCode);
        }

        Assert.Equal(DeliveryState.Read, Message(notice).State);

        using (var handedOver = await host.PostSignedAsync(MetaPayloads.Batch(MetaPayloads.Status(reminder, "sent"))))
        using (var failed = await host.PostSignedAsync(MetaPayloads.Batch(MetaPayloads.Status(reminder, "failed", errorCode: 131026))))
        {
            Assert.Equal(HttpStatusCode.OK, handedOver.StatusCode);
            Assert.Equal(HttpStatusCode.OK, failed.StatusCode);
        }

        Assert.Equal(DeliveryState.Failed, Message(reminder).State);
        Assert.Equal("131026", Message(reminder).ErrorCode);
        var history = new ChatHistory();
        session.ApplyPendingReplies(history);
        Assert.Contains(history, m => m.Content == "[WhatsApp Status]: the WhatsApp message from send_reminder was not delivered (131026: WhatsApp could not deliver to this number).");

        // A late "sent" for the read notice changes nothing.
        using (var late = await host.PostSignedAsync(MetaPayloads.Batch(MetaPayloads.Status(notice, "sent"))))
        {
            Assert.Equal(HttpStatusCode.OK, late.StatusCode);
        }

        Assert.Equal(DeliveryState.Read, Message(notice).State);
    }

    [Fact]
    public async Task With_the_store_down_the_batch_gets_503_and_its_redelivery_is_delivered_once()
    {
        var log = new FaultyMessageLog();
        await using var host = await MetaTestHost.StartAsync(p => p.Actions.Add(Notice()), services: s => s.AddSingleton<IMessageLog>(log));
        var session = host.StartCall();
        Assert.Equal("sent", (await host.InvokeAsync(session, "send_notice")).GetProperty("status").GetString());
        var batch = MetaPayloads.Batch(MetaPayloads.Text("wamid.store-1", "first"), MetaPayloads.Text("wamid.store-2", "second"));

        log.Broken = true;
        using (var down = await host.PostSignedAsync(batch))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
            Assert.NotNull(down.Headers.RetryAfter);
        }

        log.Broken = false;
        using (var retried = await host.PostSignedAsync(batch))
        {
            Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        }

        Assert.Equal(["first", "second"], session.Messages.Where(m => m.Direction == MessageDirection.Inbound).Select(m => m.Text));
    }

    [Fact]
    public async Task A_131047_failure_in_a_status_sends_the_approved_template_once()
    {
        await using var host = await MetaTestHost.StartAsync(p => p.Actions.Add(new InCallMessageAction
        {
            Name = "send_link",
            Description = "Sends the caller the payment link on WhatsApp.",
            Channel = MessageChannel.WhatsApp,
            Sender = "whatsapp",
            Body = "Pay here: https://pay.example.com/123",
            Template = new WhatsAppTemplate { TemplateId = "payment_link", Variables = { ["1"] = "123" } },
        }));
        var session = host.StartCall();
        await host.OpenWindowAsync();
        var freeForm = (await host.InvokeAsync(session, "send_link")).GetProperty("message_id").GetString()!;

        // Meta accepted the text, then its clock says the window had closed; the failure is redelivered too.
        var failed = MetaPayloads.Batch(MetaPayloads.Status(freeForm, "failed", errorCode: 131047));
        using (var first = await host.PostSignedAsync(failed))
        using (var again = await host.PostSignedAsync(failed))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        }

        Assert.Equal(2, host.Graph.Requests.Count);
        Assert.Equal("payment_link", (string?)host.Graph.Requests[1].Body["template"]!["name"]);
        var history = new ChatHistory();
        session.ApplyPendingReplies(history);
        Assert.Contains(history, m => m.Content!.Contains("its approved template was sent instead", StringComparison.Ordinal));
    }
}
