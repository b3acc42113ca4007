using System.Text.Json;
using InCallMessaging.SemanticKernel;
using InCallMessaging.Twilio.Tests.TestInfrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;

namespace InCallMessaging.Twilio.Tests.Sending;

/// <summary>
/// A WhatsApp document (a PDF) goes out through the plugin and the real Twilio provider as one free-form message:
/// the body and the document's URL in the same request. A bad media URL never reaches Twilio.
/// </summary>
public sealed class WhatsAppDocumentTests
{
    private const string CallSid = "CA0123456789abcdef0123456789abcdef";

    private static (ServiceProvider Services, InCallMessagingRuntime Runtime, Kernel Kernel) Start(Uri twilio)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddInCallMessaging(options =>
        {
            options.Senders["whatsapp"] = new MessageSenderOptions { Provider = "Twilio", From = TwilioTestHost.AgentNumber };
            options.Actions.Add(new InCallMessageAction
            {
                Name = "send_invoice",
                Description = "Send the caller their invoice on WhatsApp.",
                Channel = MessageChannel.WhatsApp,
                Sender = "whatsapp",
                Body = "Invoice <invoice_id> from Example Co.",
                MediaUrls = ["https://files.example.com/invoices/{{ invoice_id | string.downcase }}.pdf"],
                Parameters = new ActionParameters
                {
                    Properties = { ["invoice_id"] = new ActionParameter { Description = "The invoice number, like INVOICE-42." } },
                    Required = { "invoice_id" },
                },
            });
            options.Actions.Add(new InCallMessageAction
            {
                Name = "send_file",
                Description = "Send the caller a file on WhatsApp.",
                Channel = MessageChannel.WhatsApp,
                Sender = "whatsapp",
                Body = "Here is your file.",
                MediaUrls = ["<file_url>"],
                Parameters = new ActionParameters
                {
                    Properties = { ["file_url"] = new ActionParameter { Description = "The file's address." } },
                    Required = { "file_url" },
                },
            });
        });
        services.AddInCallMessagingTwilio(options =>
        {
            options.AccountSid = TwilioStub.AccountSid;
            options.AuthToken = TwilioStub.AuthToken;
            options.ApiBaseUrl = twilio;
            options.RetryBaseDelay = TimeSpan.FromMilliseconds(1);
        });
        var provider = services.BuildServiceProvider();
        var runtime = provider.GetRequiredService<InCallMessagingRuntime>();
        var session = runtime.Calls.StartCall(CallSid, TwilioTestHost.CallerNumber, TwilioTestHost.AgentNumber);
        var kernel = Kernel.CreateBuilder().Build();
        kernel.Plugins.Add(runtime.Plugin);
        return (provider, runtime, kernel.WithCallSession(session));
    }

    /// <summary>The caller's WhatsApp message that opens the 24-hour window for free-form messages and media.</summary>
    private static ValueTask<ReplyDeliveryOutcome> OpenWindowAsync(InCallMessagingRuntime runtime) =>
        runtime.Replies.DeliverAsync(new InboundMessage
        {
            Provider = "Twilio",
            MessageId = "SM" + new string('1', 32),
            Channel = MessageChannel.WhatsApp,
            From = TwilioTestHost.CallerNumber,
            To = TwilioTestHost.AgentNumber,
            Text = "Hi, can you send me the invoice here?",
        });

    private static async Task<JsonElement> InvokeAsync(Kernel kernel, InCallMessagingRuntime runtime, string function, KernelArguments arguments)
    {
        var result = await kernel.InvokeAsync(runtime.Plugin[function], arguments);
        using var json = JsonDocument.Parse(result.GetValue<string>()!);
        return json.RootElement.Clone();
    }

    [Fact]
    public async Task Pdf_media_url_template_and_body_go_to_Twilio_as_one_whatsapp_message()
    {
        await using var stub = await TwilioStub.StartAsync(StubAnswer.Created());
        var (services, runtime, kernel) = Start(stub.BaseUrl);
        await using var _ = services;
        await OpenWindowAsync(runtime);

        var result = await InvokeAsync(kernel, runtime, "send_invoice", new KernelArguments { ["invoice_id"] = "INVOICE-42" });

        Assert.Equal("sent", result.GetProperty("status").GetString());
        var request = stub.Single;
        Assert.Equal("whatsapp:" + TwilioTestHost.CallerNumber, request.Value("To"));
        Assert.Equal("whatsapp:" + TwilioTestHost.AgentNumber, request.Value("From"));
        Assert.Equal("Invoice INVOICE-42 from Example Co.", request.Value("Body"));
        Assert.Equal(["https://files.example.com/invoices/invoice-42.pdf"], request.Values("MediaUrl"));
        Assert.False(request.Has("ContentSid"));
    }

    [Theory]
    [InlineData("http://files.example.com/invoice-42.pdf")]
    [InlineData("ftp://files.example.com/invoice-42.pdf")]
    [InlineData("invoice-42.pdf")]
    public async Task Media_url_that_is_not_absolute_https_never_reaches_Twilio(string url)
    {
        await using var stub = await TwilioStub.StartAsync(StubAnswer.Created());
        var (services, runtime, kernel) = Start(stub.BaseUrl);
        await using var _ = services;
        await OpenWindowAsync(runtime);

        var result = await InvokeAsync(kernel, runtime, "send_file", new KernelArguments { ["file_url"] = url });

        Assert.Equal("invalid_arguments", result.GetProperty("status").GetString());
        Assert.Equal("MediaUrls[0]", result.GetProperty("errors")[0].GetProperty("field").GetString());
        Assert.Equal(0, stub.Attempts);
    }

    [Fact]
    public async Task Whatsapp_message_with_two_attachments_fails_without_calling_Twilio()
    {
        await using var stub = await TwilioStub.StartAsync(StubAnswer.Created());
        using var host = new TwilioTestHost(stub.BaseUrl);
        var message = TwilioTestHost.WhatsApp("Your documents.") with
        {
            MediaUrls = [new Uri("https://files.example.com/a.pdf"), new Uri("https://files.example.com/b.pdf")],
        };

        var result = await host.SendAsync(message);

        Assert.Equal(SendFailureReason.Rejected, result.Failure);
        Assert.Contains("only one", result.Detail, StringComparison.Ordinal);
        Assert.Equal(0, stub.Attempts);
    }

    [Fact]
    public async Task Whatsapp_message_with_one_attachment_is_sent()
    {
        await using var stub = await TwilioStub.StartAsync(StubAnswer.Created());
        using var host = new TwilioTestHost(stub.BaseUrl);

        var result = await host.SendAsync(TwilioTestHost.WhatsApp("Your ticket.") with { MediaUrls = [new Uri("https://files.example.com/ticket.pdf")] });

        Assert.True(result.Succeeded);
        Assert.Equal(["https://files.example.com/ticket.pdf"], stub.Single.Values("MediaUrl"));
    }
}
