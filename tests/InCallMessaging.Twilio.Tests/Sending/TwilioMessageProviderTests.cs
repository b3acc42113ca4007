using System.Text;
using System.Text.Json;
using InCallMessaging.SemanticKernel;
using InCallMessaging.Twilio.Tests.TestInfrastructure;
using Xunit.Abstractions;

namespace InCallMessaging.Twilio.Tests.Sending;

/// <summary>What the provider sends to Twilio, checked by a Kestrel stub on loopback.</summary>
public sealed class TwilioMessageProviderTests(ITestOutputHelper output)
{
    private const string ApiKeySid = "SK0123456789abcdef0123456789abcdef";
    private const string ApiKeySecret = "api-key-secret-value";

    [Fact]
    public async Task Sms_posts_form_fields_to_the_account_messages_resource()
    {
        await using var stub = await TwilioStub.StartAsync(StubAnswer.Created(status: "queued"));
        using var host = new TwilioTestHost(stub.BaseUrl);

        var result = await host.SendAsync(TwilioTestHost.Sms("Your code is 4821."));

        Assert.True(result.Succeeded);
        Assert.Equal(TwilioStub.DefaultSid, result.MessageId);
        Assert.Equal("queued", result.Status);
        var request = stub.Single;
        Assert.Equal($"/2010-04-01/Accounts/{TwilioStub.AccountSid}/Messages.json", request.Path);
        Assert.StartsWith("application/x-www-form-urlencoded", request.ContentType, StringComparison.Ordinal);
        Assert.Equal(TwilioTestHost.CallerNumber, request.Value("To"));
        Assert.Equal(TwilioTestHost.AgentNumber, request.Value("From"));
        Assert.Equal("Your code is 4821.", request.Value("Body"));
        Assert.False(request.Has("MessagingServiceSid"));
        Assert.False(request.Has("StatusCallback"));
        Assert.False(request.Has("MediaUrl"));
    }

    [Fact]
    public async Task Basic_auth_uses_the_account_sid_and_auth_token()
    {
        await using var stub = await TwilioStub.StartAsync(StubAnswer.Created());
        using var host = new TwilioTestHost(stub.BaseUrl);

        await host.SendAsync(TwilioTestHost.Sms());

        Assert.Equal(Basic($"{TwilioStub.AccountSid}:{TwilioStub.AuthToken}"), stub.Single.Authorization);
    }

    [Fact]
    public async Task Basic_auth_uses_the_api_key_when_one_is_configured()
    {
        await using var stub = await TwilioStub.StartAsync(StubAnswer.Created());
        using var host = new TwilioTestHost(stub.BaseUrl, options =>
        {
            options.ApiKeySid = ApiKeySid;
            options.ApiKeySecret = ApiKeySecret;
        });

        await host.SendAsync(TwilioTestHost.Sms());

        Assert.Equal(Basic($"{ApiKeySid}:{ApiKeySecret}"), stub.Single.Authorization);
        Assert.Equal($"/2010-04-01/Accounts/{TwilioStub.AccountSid}/Messages.json", stub.Single.Path);
    }

    [Fact]
    public async Task Api_key_alone_authenticates_without_an_auth_token()
    {
        await using var stub = await TwilioStub.StartAsync(StubAnswer.Created());
        using var host = new TwilioTestHost(stub.BaseUrl, options =>
        {
            options.AuthToken = null;
            options.ApiKeySid = ApiKeySid;
            options.ApiKeySecret = ApiKeySecret;
        });

        var result = await host.SendAsync(TwilioTestHost.Sms());

        Assert.True(result.Succeeded);
        Assert.Equal(Basic($"{ApiKeySid}:{ApiKeySecret}"), stub.Single.Authorization);
    }

    [Fact]
    public async Task Messaging_service_is_sent_instead_of_a_from_number()
    {
        await using var stub = await TwilioStub.StartAsync(StubAnswer.Created(status: "accepted"));
        using var host = new TwilioTestHost(stub.BaseUrl);
        var sender = new MessageSenderOptions { Provider = "Twilio", ServiceId = TwilioTestHost.MessagingServiceSid };

        var result = await host.SendAsync(TwilioTestHost.Sms(sender: sender));

        Assert.Equal("accepted", result.Status);
        Assert.Equal(TwilioTestHost.MessagingServiceSid, stub.Single.Value("MessagingServiceSid"));
        Assert.False(stub.Single.Has("From"));
    }

    [Fact]
    public async Task WhatsApp_addresses_carry_the_whatsapp_prefix_once()
    {
        await using var stub = await TwilioStub.StartAsync(StubAnswer.Created());
        using var host = new TwilioTestHost(stub.BaseUrl);

        await host.SendAsync(TwilioTestHost.WhatsApp());
        await host.SendAsync(TwilioTestHost.WhatsApp(sender: new MessageSenderOptions { Provider = "Twilio", From = "whatsapp:" + TwilioTestHost.AgentNumber }));

        Assert.All(stub.Requests, request =>
        {
            Assert.Equal("whatsapp:" + TwilioTestHost.CallerNumber, request.Value("To"));
            Assert.Equal("whatsapp:" + TwilioTestHost.AgentNumber, request.Value("From"));
            Assert.Equal("Here is your booking link.", request.Value("Body"));
        });
    }

    [Fact]
    public async Task WhatsApp_template_sends_template_id_and_variables_json_without_body_or_media()
    {
        await using var stub = await TwilioStub.StartAsync(StubAnswer.Created());
        using var host = new TwilioTestHost(stub.BaseUrl);
        var variables = new Dictionary<string, string> { ["10"] = "ten", ["2"] = "3pm \"sharp\"", ["1"] = "Zoë" };
        var template = TwilioTestHost.WhatsApp(body: "ignored", content: new WhatsAppContent(TwilioTestHost.TemplateId, variables));
        var message = template with { MediaUrls = [new Uri("https://cdn.example.com/a.png")] };

        var result = await host.SendAsync(message);

        Assert.True(result.Succeeded);
        var request = stub.Single;
        Assert.Equal(TwilioTestHost.TemplateId, request.Value("ContentSid"));
        var json = request.Value("ContentVariables")!;
        Assert.Equal(["1", "2", "10"], JsonDocument.Parse(json).RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(variables, JsonSerializer.Deserialize<Dictionary<string, string>>(json));
        Assert.False(request.Has("Body"));
        Assert.False(request.Has("MediaUrl"));
        Assert.Equal("whatsapp:" + TwilioTestHost.CallerNumber, request.Value("To"));
    }

    [Fact]
    public async Task Media_urls_are_sent_as_repeated_MediaUrl_fields_in_order()
    {
        await using var stub = await TwilioStub.StartAsync(StubAnswer.Created());
        using var host = new TwilioTestHost(stub.BaseUrl);
        var message = TwilioTestHost.Sms() with
        {
            MediaUrls = [new Uri("https://cdn.example.com/map.png"), new Uri("https://cdn.example.com/ticket.pdf?id=7")],
        };

        await host.SendAsync(message);

        Assert.Equal(["https://cdn.example.com/map.png", "https://cdn.example.com/ticket.pdf?id=7"], stub.Single.Values("MediaUrl"));
    }

    [Fact]
    public async Task Media_only_message_is_sent_without_a_body()
    {
        await using var stub = await TwilioStub.StartAsync(StubAnswer.Created());
        using var host = new TwilioTestHost(stub.BaseUrl);

        var result = await host.SendAsync(TwilioTestHost.Sms(body: null) with { MediaUrls = [new Uri("https://cdn.example.com/map.png")] });

        Assert.True(result.Succeeded);
        Assert.False(stub.Single.Has("Body"));
    }

    [Fact]
    public async Task More_than_ten_media_urls_fail_without_calling_twilio()
    {
        await using var stub = await TwilioStub.StartAsync(StubAnswer.Created());
        using var host = new TwilioTestHost(stub.BaseUrl);
        var media = Enumerable.Range(1, 11).Select(i => new Uri($"https://cdn.example.com/{i}.png")).ToArray();

        var result = await host.SendAsync(TwilioTestHost.Sms() with { MediaUrls = media });

        Assert.Equal(SendFailureReason.Rejected, result.Failure);
        Assert.Contains("10", result.Detail, StringComparison.Ordinal);
        Assert.Equal(0, stub.Attempts);
    }

    [Theory]
    [InlineData(MessageChannel.Sms)]
    [InlineData(MessageChannel.WhatsApp)]
    public async Task Body_over_1600_characters_fails_without_calling_twilio(MessageChannel channel)
    {
        await using var stub = await TwilioStub.StartAsync(StubAnswer.Created());
        using var host = new TwilioTestHost(stub.BaseUrl);

        var result = await host.SendAsync(TwilioTestHost.Sms(new string('x', 1601)) with { Channel = channel });

        Assert.False(result.Succeeded);
        Assert.Equal(SendFailureReason.Rejected, result.Failure);
        Assert.Contains("1601", result.Detail, StringComparison.Ordinal);
        Assert.Contains("shorten", result.Detail, StringComparison.Ordinal);
        Assert.Equal(0, stub.Attempts);
    }

    [Fact]
    public async Task Body_of_exactly_1600_characters_is_sent_whole()
    {
        await using var stub = await TwilioStub.StartAsync(StubAnswer.Created());
        using var host = new TwilioTestHost(stub.BaseUrl);
        var body = new string('y', 1600);

        var result = await host.SendAsync(TwilioTestHost.Sms(body));

        Assert.True(result.Succeeded);
        Assert.Equal(body, stub.Single.Value("Body"));
    }

    [Fact]
    public async Task Sender_without_from_or_messaging_service_fails_without_calling_twilio()
    {
        await using var stub = await TwilioStub.StartAsync(StubAnswer.Created());
        using var host = new TwilioTestHost(stub.BaseUrl);

        var result = await host.SendAsync(TwilioTestHost.Sms(sender: new MessageSenderOptions { Provider = "Twilio" }));

        Assert.Equal(SendFailureReason.Rejected, result.Failure);
        Assert.Contains("configuration", result.Detail, StringComparison.Ordinal);
        Assert.Equal(0, stub.Attempts);
    }

    [Fact]
    public async Task Empty_message_fails_without_calling_twilio()
    {
        await using var stub = await TwilioStub.StartAsync(StubAnswer.Created());
        using var host = new TwilioTestHost(stub.BaseUrl);

        var result = await host.SendAsync(TwilioTestHost.Sms(body: ""));

        Assert.Equal(SendFailureReason.Rejected, result.Failure);
        Assert.Equal(0, stub.Attempts);
    }

    [Theory]
    [InlineData("https://bot.example.com", "/twilio/status", "https://bot.example.com/twilio/status")]
    [InlineData("https://bot.example.com/", "/twilio/status", "https://bot.example.com/twilio/status")]
    [InlineData("https://bot.example.com/voice/", "/hooks/twilio-status", "https://bot.example.com/voice/hooks/twilio-status")]
    [InlineData("http://10.0.0.5:8080", "/twilio/status", "http://10.0.0.5:8080/twilio/status")]
    public async Task Status_callback_is_built_from_the_public_base_url(string publicBaseUrl, string path, string expected)
    {
        await using var stub = await TwilioStub.StartAsync(StubAnswer.Created());
        using var host = new TwilioTestHost(stub.BaseUrl, options =>
        {
            options.PublicBaseUrl = new Uri(publicBaseUrl);
            options.StatusCallbackPath = path;
        });

        var message = TwilioTestHost.Sms();
        await host.SendAsync(message);

        // The client reference rides along so a status can settle a send whose answer never came.
        Assert.Equal($"{expected}?ref={message.ClientReference}", stub.Single.Value("StatusCallback"));
    }

    [Fact]
    public async Task Success_answer_without_a_sid_still_counts_as_sent()
    {
        await using var stub = await TwilioStub.StartAsync(new StubAnswer(201, "<html>created</html>", ContentType: "text/html"));
        using var host = new TwilioTestHost(stub.BaseUrl);
        var message = TwilioTestHost.Sms();

        var result = await host.SendAsync(message);

        // Reporting a failure would make the LLM send the same text again.
        Assert.True(result.Succeeded);
        Assert.Equal(message.ClientReference, result.MessageId);
    }

    [Fact]
    public async Task Logs_mask_the_phone_number_and_never_contain_credentials_or_the_text()
    {
        await using var stub = await TwilioStub.StartAsync(attempt => attempt == 1 ? StubAnswer.Created() : StubAnswer.Error(400, 21211));
        using var host = new TwilioTestHost(stub.BaseUrl);

        await host.SendAsync(TwilioTestHost.Sms("secret code 4821"));
        var failed = await host.SendAsync(TwilioTestHost.Sms("secret code 4821"));

        Assert.False(failed.Succeeded);
        var logs = string.Join('\n', host.Logs.Lines);
        output.WriteLine(logs);
        Assert.Contains("+1******0100", logs, StringComparison.Ordinal);
        Assert.DoesNotContain(TwilioTestHost.CallerNumber, logs, StringComparison.Ordinal);
        Assert.DoesNotContain(TwilioStub.AuthToken, logs, StringComparison.Ordinal);
        Assert.DoesNotContain(Basic($"{TwilioStub.AccountSid}:{TwilioStub.AuthToken}")[6..], logs, StringComparison.Ordinal);
        Assert.DoesNotContain("4821", logs, StringComparison.Ordinal);
        Assert.DoesNotContain(TwilioTestHost.CallerNumber, failed.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancelled_token_throws_without_calling_twilio()
    {
        await using var stub = await TwilioStub.StartAsync(StubAnswer.Created());
        using var host = new TwilioTestHost(stub.BaseUrl);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => host.SendAsync(TwilioTestHost.Sms(), new CancellationToken(canceled: true)));
        Assert.Equal(0, stub.Attempts);
    }

    [Fact]
    public async Task Cancellation_during_the_request_throws()
    {
        await using var stub = await TwilioStub.StartAsync(StubAnswer.Created() with { Delay = TimeSpan.FromSeconds(10) });
        using var host = new TwilioTestHost(stub.BaseUrl);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => host.SendAsync(TwilioTestHost.Sms(), cancel.Token));
    }

    [Fact]
    public void Provider_is_named_Twilio()
    {
        using var host = new TwilioTestHost(new Uri("http://127.0.0.1:1"));

        Assert.Equal("Twilio", host.Provider.Name);
    }

    private static string Basic(string credentials) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials));
}
