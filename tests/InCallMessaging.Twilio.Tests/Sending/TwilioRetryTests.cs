using InCallMessaging.SemanticKernel;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using InCallMessaging.Twilio.Tests.TestInfrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace InCallMessaging.Twilio.Tests.Sending;

/// <summary>
/// Retries happen only where Twilio certainly did not create the message (429, 503, no connection); anything ambiguous
/// is reported at once so the caller never gets the same text twice.
/// </summary>
public sealed class TwilioRetryTests
{
    [Fact]
    public async Task Http_429_is_retried_until_a_later_attempt_succeeds()
    {
        await using var stub = await TwilioStub.StartAsync(attempt => attempt < 3 ? StubAnswer.Error(429, 20429) : StubAnswer.Created());
        using var host = new TwilioTestHost(stub.BaseUrl, options => options.MaxRetries = 2);

        var result = await host.SendAsync(TwilioTestHost.Sms());

        Assert.True(result.Succeeded);
        Assert.Equal(3, stub.Attempts);
        Assert.All(stub.Requests, r => Assert.Equal("Your code is 4821.", r.Value("Body")));
    }

    [Fact]
    public async Task Http_429_retries_are_bounded_by_MaxRetries()
    {
        await using var stub = await TwilioStub.StartAsync(StubAnswer.Error(429, 20429));
        using var host = new TwilioTestHost(stub.BaseUrl, options => options.MaxRetries = 2);

        var result = await host.SendAsync(TwilioTestHost.Sms());

        Assert.Equal(SendFailureReason.RateLimited, result.Failure);
        Assert.Equal(3, stub.Attempts);
    }

    [Fact]
    public async Task Http_503_is_retried()
    {
        await using var stub = await TwilioStub.StartAsync(attempt => attempt == 1 ? new StubAnswer(503) : StubAnswer.Created());
        using var host = new TwilioTestHost(stub.BaseUrl);

        var result = await host.SendAsync(TwilioTestHost.Sms());

        Assert.True(result.Succeeded);
        Assert.Equal(2, stub.Attempts);
    }

    [Fact]
    public async Task Http_503_that_persists_reports_the_message_as_not_sent()
    {
        await using var stub = await TwilioStub.StartAsync(new StubAnswer(503));
        using var host = new TwilioTestHost(stub.BaseUrl, options => options.MaxRetries = 1);

        var result = await host.SendAsync(TwilioTestHost.Sms());

        Assert.Equal(SendFailureReason.ProviderUnavailable, result.Failure);
        Assert.Contains("not sent", result.Detail, StringComparison.Ordinal);
        Assert.Equal(2, stub.Attempts);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(504)]
    public async Task Ambiguous_server_errors_are_not_retried(int status)
    {
        await using var stub = await TwilioStub.StartAsync(attempt => attempt == 1 ? StubAnswer.Error(status, 20500) : StubAnswer.Created());
        using var host = new TwilioTestHost(stub.BaseUrl, options => options.MaxRetries = 3);

        var result = await host.SendAsync(TwilioTestHost.Sms());

        Assert.Equal(SendFailureReason.ProviderUnavailable, result.Failure);
        Assert.Contains("may or may not have been sent", result.Detail, StringComparison.Ordinal);
        Assert.Equal(1, stub.Attempts);
    }

    [Fact]
    public async Task Client_errors_are_not_retried()
    {
        await using var stub = await TwilioStub.StartAsync(StubAnswer.Error(400, 21211));
        using var host = new TwilioTestHost(stub.BaseUrl, options => options.MaxRetries = 3);

        await host.SendAsync(TwilioTestHost.Sms());

        Assert.Equal(1, stub.Attempts);
    }

    [Fact]
    public async Task Host_wide_standard_resilience_handler_does_not_retry_this_client()
    {
        await using var stub = await TwilioStub.StartAsync(attempt => attempt == 1 ? new StubAnswer(500) : StubAnswer.Created());
        using var host = new TwilioTestHost(
            stub.BaseUrl,
            services: services => services.ConfigureHttpClientDefaults(client => client.AddStandardResilienceHandler()));

        var result = await host.SendAsync(TwilioTestHost.Sms());

        Assert.Equal(SendFailureReason.ProviderUnavailable, result.Failure);
        Assert.Equal(1, stub.Attempts);
    }

    [Fact]
    public async Task No_retries_when_MaxRetries_is_zero()
    {
        await using var stub = await TwilioStub.StartAsync(attempt => attempt == 1 ? StubAnswer.Error(429, 20429) : StubAnswer.Created());
        using var host = new TwilioTestHost(stub.BaseUrl, options => options.MaxRetries = 0);

        var result = await host.SendAsync(TwilioTestHost.Sms());

        Assert.Equal(SendFailureReason.RateLimited, result.Failure);
        Assert.Equal(1, stub.Attempts);
    }

    [Fact]
    public async Task Retry_after_header_sets_the_delay()
    {
        await using var stub = await TwilioStub.StartAsync(attempt => attempt == 1 ? StubAnswer.Error(429, 20429) with { RetryAfter = "1" } : StubAnswer.Created());
        using var host = new TwilioTestHost(stub.BaseUrl);
        var stopwatch = Stopwatch.StartNew();

        var result = await host.SendAsync(TwilioTestHost.Sms());

        Assert.True(result.Succeeded);
        Assert.Equal(2, stub.Attempts);
        Assert.True(stopwatch.Elapsed >= TimeSpan.FromMilliseconds(900), $"retried after {stopwatch.Elapsed}");
    }

    [Fact]
    public async Task Retry_after_longer_than_the_caller_can_wait_ends_the_retries()
    {
        await using var stub = await TwilioStub.StartAsync(StubAnswer.Error(429, 20429) with { RetryAfter = "120" });
        using var host = new TwilioTestHost(stub.BaseUrl);

        var result = await host.SendAsync(TwilioTestHost.Sms());

        Assert.Equal(SendFailureReason.RateLimited, result.Failure);
        Assert.Equal(1, stub.Attempts);
    }

    [Fact]
    public async Task Timeout_with_the_request_out_is_reported_as_maybe_sent_and_not_retried()
    {
        // The request must reach the stub well within the timeout even on a loaded machine (300 ms once did not in CI);
        // the stub's answer must not.
        await using var stub = await TwilioStub.StartAsync(StubAnswer.Created() with { Delay = TimeSpan.FromSeconds(10) });
        using var host = new TwilioTestHost(stub.BaseUrl, options => options.RequestTimeout = TimeSpan.FromSeconds(2));
        var stopwatch = Stopwatch.StartNew();

        var result = await host.SendAsync(TwilioTestHost.Sms());

        Assert.Equal(SendFailureReason.Timeout, result.Failure);
        Assert.Contains("may or may not have been sent", result.Detail, StringComparison.Ordinal);
        Assert.Equal(1, stub.Attempts);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Timeout_while_waiting_to_retry_reports_the_last_answer()
    {
        // The first answer must come well within the timeout even on a loaded machine; the wait Twilio asks for must not.
        await using var stub = await TwilioStub.StartAsync(StubAnswer.Error(429, 20429) with { RetryAfter = "30" });
        using var host = new TwilioTestHost(stub.BaseUrl, options => options.RequestTimeout = TimeSpan.FromSeconds(2));

        var result = await host.SendAsync(TwilioTestHost.Sms());

        // Twilio said 429 and nothing went out after it: the message certainly was not sent.
        Assert.Equal(SendFailureReason.RateLimited, result.Failure);
        Assert.Equal(1, stub.Attempts);
    }

    [Fact]
    public async Task Refused_connection_is_retried_then_reported_as_not_sent()
    {
        using var host = new TwilioTestHost(new Uri($"http://127.0.0.1:{ClosedPort()}"), options => options.MaxRetries = 2);

        var result = await host.SendAsync(TwilioTestHost.Sms());

        Assert.Equal(SendFailureReason.ProviderUnavailable, result.Failure);
        Assert.Contains("could not be reached", result.Detail, StringComparison.Ordinal);
        Assert.Contains("not sent", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connection_dropped_after_the_request_went_out_is_not_retried()
    {
        await using var stub = await TwilioStub.StartAsync(attempt => attempt == 1 ? new StubAnswer(201, Abort: true) : StubAnswer.Created());
        using var host = new TwilioTestHost(stub.BaseUrl, options => options.MaxRetries = 3);

        var result = await host.SendAsync(TwilioTestHost.Sms());

        Assert.Equal(SendFailureReason.ProviderUnavailable, result.Failure);
        Assert.Contains("may or may not have been sent", result.Detail, StringComparison.Ordinal);
        Assert.Equal(1, stub.Attempts);
    }

    [Fact]
    public async Task Exception_from_a_host_added_handler_becomes_a_result_not_a_throw()
    {
        await using var stub = await TwilioStub.StartAsync(StubAnswer.Created());
        using var host = new TwilioTestHost(
            stub.BaseUrl,
            services: services => services.ConfigureHttpClientDefaults(client => client.AddHttpMessageHandler(() => new FailingHandler())));

        var result = await host.SendAsync(TwilioTestHost.Sms());

        Assert.Equal(SendFailureReason.ProviderUnavailable, result.Failure);
        Assert.Equal(0, stub.Attempts);
    }

    [Fact]
    public async Task Timeout_while_reading_an_accepted_answer_is_reported_as_maybe_sent()
    {
        await using var stub = await TwilioStub.StartAsync(StubAnswer.Created() with { Delay = TimeSpan.FromSeconds(10), HeadersFirst = true });
        using var host = new TwilioTestHost(stub.BaseUrl, options => options.RequestTimeout = TimeSpan.FromMilliseconds(500));

        var result = await host.SendAsync(TwilioTestHost.Sms());

        Assert.Equal(SendFailureReason.Timeout, result.Failure);
        Assert.Contains("may or may not have been sent", result.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(HttpStatusCode.TooManyRequests, true)]
    [InlineData(HttpStatusCode.ServiceUnavailable, true)]
    [InlineData(HttpStatusCode.InternalServerError, false)]
    [InlineData(HttpStatusCode.BadGateway, false)]
    [InlineData(HttpStatusCode.GatewayTimeout, false)]
    [InlineData(HttpStatusCode.RequestTimeout, false)]
    [InlineData(HttpStatusCode.BadRequest, false)]
    [InlineData(HttpStatusCode.Created, false)]
    public void Only_answers_that_prove_nothing_was_created_are_retried(HttpStatusCode status, bool retried)
    {
        using var response = new HttpResponseMessage(status);

        Assert.Equal(retried, TwilioRetry.ShouldRetry(response, null, TimeSpan.FromSeconds(5), TimeProvider.System));
    }

    [Theory]
    [InlineData(HttpRequestError.ConnectionError, true)]
    [InlineData(HttpRequestError.NameResolutionError, true)]
    [InlineData(HttpRequestError.SecureConnectionError, true)]
    [InlineData(HttpRequestError.ProxyTunnelError, true)]
    [InlineData(HttpRequestError.ResponseEnded, false)]
    [InlineData(HttpRequestError.InvalidResponse, false)]
    [InlineData(HttpRequestError.Unknown, false)]
    public void Only_failures_before_the_request_went_out_are_retried(HttpRequestError error, bool retried)
    {
        var failure = new HttpRequestException(error, "failed");

        Assert.Equal(retried, TwilioRetry.ShouldRetry(null, failure, TimeSpan.FromSeconds(5), TimeProvider.System));
        Assert.False(TwilioRetry.ShouldRetry(null, new TaskCanceledException(), TimeSpan.FromSeconds(5), TimeProvider.System));
    }

    [Fact]
    public void Retry_after_is_read_as_seconds_or_as_a_date()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 5, 12, 0, 0, TimeSpan.Zero));
        using var seconds = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        seconds.Headers.TryAddWithoutValidation("Retry-After", "2");
        using var date = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        date.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(time.GetUtcNow().AddSeconds(3));
        using var past = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        past.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(time.GetUtcNow().AddSeconds(-3));
        using var none = new HttpResponseMessage(HttpStatusCode.TooManyRequests);

        Assert.Equal(TimeSpan.FromSeconds(2), TwilioRetry.RetryAfter(seconds, time));
        Assert.Equal(TimeSpan.FromSeconds(3), TwilioRetry.RetryAfter(date, time));
        Assert.Equal(TimeSpan.Zero, TwilioRetry.RetryAfter(past, time));
        Assert.Null(TwilioRetry.RetryAfter(none, time));
        Assert.True(TwilioRetry.ShouldRetry(date, null, TimeSpan.FromSeconds(5), time));
        Assert.False(TwilioRetry.ShouldRetry(date, null, TimeSpan.FromSeconds(2), time));
    }

    private sealed class FailingHandler : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("A misbehaving handler.");
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
