using System.Net;
using System.Net.Http.Headers;
using System.Text;
using InCallMessaging.SemanticKernel;
using InCallMessaging.Twilio.Tests.TestInfrastructure;
using Xunit.Abstractions;

namespace InCallMessaging.Twilio.Tests.Sending;

/// <summary>
/// The provider's requests, sent over HTTP to Prism serving Twilio's OpenAPI description, must be accepted (201).
/// Requests the description forbids must be refused (422), which proves the check can fail.
/// </summary>
[Collection(PrismCollection.Name)]
public sealed class TwilioPrismContractTests(PrismServer prism, ITestOutputHelper output)
{
    private TwilioTestHost Host() => new(prism.BaseUrl, options => options.PublicBaseUrl = new Uri("https://bot.example.com"));

    [Fact]
    public async Task Sms_from_a_number_is_accepted()
    {
        output.WriteLine($"Prism answered after {prism.StartupTime.TotalSeconds:0.0} s at {prism.BaseUrl}");
        using var host = Host();

        var result = await host.SendAsync(TwilioTestHost.Sms());

        AssertAccepted(result);
    }

    [Fact]
    public async Task Sms_through_a_messaging_service_is_accepted()
    {
        using var host = Host();
        var sender = new MessageSenderOptions { Provider = "Twilio", ServiceId = TwilioTestHost.MessagingServiceSid };

        var result = await host.SendAsync(TwilioTestHost.Sms(sender: sender));

        AssertAccepted(result);
    }

    [Fact]
    public async Task WhatsApp_free_form_is_accepted()
    {
        using var host = Host();

        var result = await host.SendAsync(TwilioTestHost.WhatsApp());

        AssertAccepted(result);
    }

    [Fact]
    public async Task WhatsApp_template_with_content_variables_is_accepted()
    {
        using var host = Host();
        var content = new WhatsAppContent(TwilioTestHost.TemplateId, new Dictionary<string, string> { ["1"] = "Ada", ["2"] = "3pm" });

        var result = await host.SendAsync(TwilioTestHost.WhatsApp(body: null, content: content));

        AssertAccepted(result);
    }

    [Fact]
    public async Task Provider_request_breaking_the_description_is_refused()
    {
        using var host = Host();
        var sender = new MessageSenderOptions { Provider = "Twilio", ServiceId = "MG123" }; // not MG + 32 hex

        var result = await host.SendAsync(TwilioTestHost.Sms(sender: sender));

        Assert.False(result.Succeeded);
        Assert.Equal(SendFailureReason.Rejected, result.Failure);
        Assert.Contains("HTTP 422", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Request_without_To_is_refused_with_422()
    {
        using var response = await PostRawAsync(TwilioStub.AccountSid, [new("From", TwilioTestHost.AgentNumber), new("Body", "hi")]);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
    }

    [Fact]
    public async Task Request_with_a_malformed_AccountSid_is_refused_with_422()
    {
        using var response = await PostRawAsync("AC123", [new("To", TwilioTestHost.CallerNumber), new("From", TwilioTestHost.AgentNumber), new("Body", "hi")]);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
    }

    [Fact]
    public async Task Same_raw_request_with_To_is_accepted()
    {
        using var response = await PostRawAsync(TwilioStub.AccountSid, [new("To", TwilioTestHost.CallerNumber), new("From", TwilioTestHost.AgentNumber), new("Body", "hi")]);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    private async Task<HttpResponseMessage> PostRawAsync(string accountSid, KeyValuePair<string, string>[] form)
    {
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(prism.BaseUrl, $"/2010-04-01/Accounts/{accountSid}/Messages.json"))
        {
            Content = new FormUrlEncodedContent(form),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{TwilioStub.AccountSid}:{TwilioStub.AuthToken}")));
        return await client.SendAsync(request);
    }

    private static void AssertAccepted(SendResult result)
    {
        Assert.True(result.Succeeded, $"{result.Failure}: {result.Detail}");
        Assert.Matches("^(SM|MM)[0-9a-fA-F]{32}$", result.MessageId);
        Assert.False(string.IsNullOrEmpty(result.Status));
    }
}
