using InCallMessaging.SemanticKernel;
using InCallMessaging.Twilio.Tests.TestInfrastructure;

namespace InCallMessaging.Twilio.Tests.Sending;

/// <summary>Twilio's error answers, served over loopback, become failure reasons with an instruction for the LLM.</summary>
public sealed class TwilioErrorMappingTests
{
    [Theory]
    [InlineData(400, 21211, SendFailureReason.InvalidRecipient, "another number")]
    [InlineData(400, 21408, SendFailureReason.RegionNotSupported, "country")]
    [InlineData(400, 21610, SendFailureReason.OptedOut, "do not retry")]
    [InlineData(400, 21614, SendFailureReason.NotMobile, "mobile")]
    [InlineData(400, 63016, SendFailureReason.WhatsAppWindowClosed, "template")]
    [InlineData(400, 63024, SendFailureReason.NotOnWhatsApp, "SMS")]
    [InlineData(400, 21602, SendFailureReason.Rejected, "error 21602")]
    [InlineData(401, 20003, SendFailureReason.Rejected, "credentials")]
    [InlineData(403, 20003, SendFailureReason.Rejected, "credentials")]
    [InlineData(404, 20404, SendFailureReason.Rejected, "not sent")]
    public async Task Twilio_error_codes_map_to_reasons(int httpStatus, int code, SendFailureReason expected, string instruction)
    {
        await using var stub = await TwilioStub.StartAsync(StubAnswer.Error(httpStatus, code));
        using var host = new TwilioTestHost(stub.BaseUrl);

        var result = await host.SendAsync(TwilioTestHost.Sms());

        Assert.False(result.Succeeded);
        Assert.Equal(expected, result.Failure);
        Assert.Equal(code.ToString(System.Globalization.CultureInfo.InvariantCulture), result.ErrorCode);
        Assert.Contains(instruction, result.Detail, StringComparison.Ordinal);
        AssertSafeDetail(result.Detail);
        Assert.Equal(1, stub.Attempts);
    }

    [Theory]
    [InlineData(429, SendFailureReason.RateLimited, "not sent")]
    [InlineData(503, SendFailureReason.ProviderUnavailable, "not sent")]
    [InlineData(500, SendFailureReason.ProviderUnavailable, "may or may not have been sent")]
    [InlineData(502, SendFailureReason.ProviderUnavailable, "may or may not have been sent")]
    [InlineData(504, SendFailureReason.ProviderUnavailable, "may or may not have been sent")]
    [InlineData(400, SendFailureReason.Rejected, "HTTP 400")]
    public async Task Answers_without_twilio_json_map_by_http_status(int httpStatus, SendFailureReason expected, string instruction)
    {
        await using var stub = await TwilioStub.StartAsync(new StubAnswer(httpStatus, "<html>upstream error</html>", ContentType: "text/html"));
        using var host = new TwilioTestHost(stub.BaseUrl, options => options.MaxRetries = 0);

        var result = await host.SendAsync(TwilioTestHost.Sms());

        Assert.Equal(expected, result.Failure);
        Assert.Null(result.ErrorCode);
        Assert.Contains(instruction, result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Code_20429_maps_to_rate_limited()
    {
        await using var stub = await TwilioStub.StartAsync(StubAnswer.Error(429, 20429));
        using var host = new TwilioTestHost(stub.BaseUrl, options => options.MaxRetries = 0);

        var result = await host.SendAsync(TwilioTestHost.Sms());

        Assert.Equal(SendFailureReason.RateLimited, result.Failure);
        Assert.Equal("20429", result.ErrorCode);
    }

    [Fact]
    public async Task Error_json_with_string_code_and_extra_keys_is_read()
    {
        await using var stub = await TwilioStub.StartAsync(new StubAnswer(400,
            """{"status": 400, "message": "opted out", "code": "21610", "more_info": "https://www.twilio.com/docs/errors/21610", "new_key": [1, 2]}"""));
        using var host = new TwilioTestHost(stub.BaseUrl);

        var result = await host.SendAsync(TwilioTestHost.Sms());

        Assert.Equal(SendFailureReason.OptedOut, result.Failure);
        Assert.Equal("21610", result.ErrorCode);
    }

    internal static void AssertSafeDetail(string? detail)
    {
        Assert.False(string.IsNullOrWhiteSpace(detail));
        Assert.DoesNotContain(TwilioTestHost.CallerNumber, detail, StringComparison.Ordinal);
        Assert.DoesNotContain("4155550100", detail, StringComparison.Ordinal);
        Assert.DoesNotContain(TwilioStub.AuthToken, detail, StringComparison.Ordinal);
        Assert.DoesNotContain("is not valid", detail, StringComparison.Ordinal); // Twilio's own message is not passed on
    }
}
