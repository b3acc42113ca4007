using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using InCallMessaging.AspNetCore.Tests.TestSupport;
using InCallMessaging.SemanticKernel;

namespace InCallMessaging.AspNetCore.Tests.Twilio;

/// <summary>
/// What the Twilio webhook endpoints answer, as README's "Security" bullets state it: 403 for a missing or wrong
/// signature, 413 for a body over <c>MaxBodyBytes</c>, 400 naming the problem for a body that is no UTF-8 form, a
/// missing field or a malformed SID; and nothing delivered from a request answered 4xx.
/// </summary>
public sealed class TwilioWebhookAnswerTests
{
    private const string BadSid = "SM1234";

    [Theory]
    [InlineData("MessageSid")]
    [InlineData("SmsMessageSid")]
    [InlineData("AccountSid")]
    [InlineData("MessagingServiceSid")]
    [InlineData("OriginalRepliedMessageSid")]
    public async Task An_inbound_message_with_a_malformed_sid_gets_400_and_is_not_delivered(string field)
    {
        await using var host = await WebhookTestHost.StartAsync();
        var session = host.StartCall();
        await host.InvokeAsync(session, "send_link");
        var form = WebhookTestHost.InboundSms("SM40000000000000000000000000000001", "Ready")
            .Where(p => p.Key != field && (field != "SmsMessageSid" || p.Key != "MessageSid")).ToList();
        form.Add(new(field, BadSid + "\r\nforged"));

        using var response = await host.PostSignedAsync("twilio/messages", form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal($"Form field '{field}' is not a Twilio SID (two capital letters and 32 hex digits).", await response.Content.ReadAsStringAsync());
        Assert.False(session.HasPendingReplies);
        Assert.DoesNotContain(session.Messages, m => m.Direction == MessageDirection.Inbound);
        Assert.Empty(host.Hub.UnmatchedReplies);
        Assert.DoesNotContain(host.Logs.Entries, e => e.Message.Contains(BadSid, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_malformed_sid_does_not_use_up_the_real_message_sid()
    {
        // Refused before the hub marks anything as seen: the message with a good SID still goes through.
        await using var host = await WebhookTestHost.StartAsync();
        var session = host.StartCall();
        await host.InvokeAsync(session, "send_link");
        var good = WebhookTestHost.InboundSms("SM40000000000000000000000000000002", "Ready");
        var bad = good.Where(p => p.Key != "AccountSid").Append(new("AccountSid", "AC-not-a-sid")).ToList();

        using var refused = await host.PostSignedAsync("twilio/messages", bad);
        using var accepted = await host.PostSignedAsync("twilio/messages", good);

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.True(session.HasPendingReplies);
    }

    [Theory]
    [InlineData("MessageSid")]
    [InlineData("AccountSid")]
    public async Task A_status_callback_with_a_malformed_sid_gets_400_and_changes_nothing(string field)
    {
        await using var host = await WebhookTestHost.StartAsync();
        var session = host.StartCall();
        await host.InvokeAsync(session, "send_link");
        var id = Assert.Single(host.Loopback.SentMessages).MessageId;
        var before = Assert.Single(session.Messages, m => m.MessageId == id).Status;
        List<KeyValuePair<string, string>> form =
        [
            new("MessageSid", field == "MessageSid" ? id + "0" : id),
            new("MessageStatus", "failed"),
            new("AccountSid", field == "AccountSid" ? BadSid : WebhookTestHost.AccountSid),
        ];

        using var response = await host.PostSignedAsync("twilio/status", form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains($"'{field}' is not a Twilio SID", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(before, Assert.Single(session.Messages, m => m.MessageId == id).Status);
        Assert.DoesNotContain(host.Logs.Webhooks, e => e.Message.StartsWith("Status ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_webhook_with_a_repeated_name_signed_as_Twilio_signs_it_is_accepted()
    {
        // Two To fields, in body order b, a: Twilio's libraries sign them a, b.
        await using var host = await WebhookTestHost.StartAsync();
        var session = host.StartCall();
        await host.InvokeAsync(session, "send_link");
        var form = WebhookTestHost.InboundSms("SM40000000000000000000000000000005", "Both");
        var to = form.FindIndex(p => p.Key == "To");
        form.Insert(to, new("To", "+15005550008"));
        Assert.True(string.CompareOrdinal(form[to].Value, form[to + 1].Value) > 0);

        using var response = await host.PostSignedAsync("twilio/messages", form);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_body_over_the_default_64_KB_gets_413_with_a_wrong_signature_too()
    {
        await using var host = await WebhookTestHost.StartAsync();
        var form = WebhookTestHost.InboundSms("SM40000000000000000000000000000006", new string('x', 64 * 1024));
        using var request = TwilioTestSigner.SignedForm(host.Url("twilio/messages"), host.TwilioUrl("twilio/messages"), form, "another-token");

        using var response = await host.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("65536", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_over_the_limit_without_a_signature_gets_403()
    {
        await using var host = await WebhookTestHost.StartAsync(o => o.MaxBodyBytes = 2048);
        using var request = new HttpRequestMessage(HttpMethod.Post, host.Url("twilio/messages"))
        {
            Content = new FormUrlEncodedContent(WebhookTestHost.InboundSms("SM40000000000000000000000000000007", new string('x', 4096))),
        };

        using var response = await host.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Theory]
    [InlineData("twilio/messages")]
    [InlineData("twilio/status")]
    public async Task A_form_that_is_not_UTF8_gets_400(string path)
    {
        await using var host = await WebhookTestHost.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, host.Url(path))
        {
            Content = new ByteArrayContent(Encoding.ASCII.GetBytes("MessageSid=SM40000000000000000000000000000008&Body=%FF")),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");
        request.Headers.Add("X-Twilio-Signature", TwilioTestSigner.Sign(host.TwilioUrl(path), [], WebhookTestHost.AuthToken));

        using var response = await host.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("not UTF-8", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(host.Hub.UnmatchedReplies);
    }

    [Fact]
    public async Task An_unsigned_post_that_is_not_a_form_gets_403_and_a_signed_one_400()
    {
        await using var host = await WebhookTestHost.StartAsync();
        const string json = """{"MessageSid":"SM40000000000000000000000000000009"}""";
        var url = host.TwilioUrl("twilio/messages") + "?bodySHA256=" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json)));

        using var unsigned = await host.Client.PostAsync(host.Url("twilio/messages"), new StringContent(json, Encoding.UTF8, "application/json"));
        using var signedRequest = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        signedRequest.Headers.Add("X-Twilio-Signature", TwilioTestSigner.Sign(url, [], WebhookTestHost.AuthToken));
        using var signed = await host.Client.SendAsync(signedRequest);

        Assert.Equal(HttpStatusCode.Forbidden, unsigned.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, signed.StatusCode);
        Assert.Contains("Content-Type", await signed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
