using System.Net;
using Polly;
using Polly.Retry;

namespace InCallMessaging.Twilio;

/// <summary>
/// The retry strategy of the Twilio HttpClient. Creating a message is not idempotent, so it retries only answers and
/// failures that prove Twilio did not process the request: HTTP 429 (error 20429), HTTP 503 and connections that were
/// never made. A 500, 502, 504, a broken connection or a timeout after the request went out is never retried.
/// </summary>
internal static class TwilioRetry
{
    /// <summary>Adds the retry strategy to <paramref name="builder"/> (nothing when <see cref="TwilioOptions.MaxRetries"/> is 0).</summary>
    internal static void Configure(ResiliencePipelineBuilder<HttpResponseMessage> builder, TwilioOptions options, TimeProvider timeProvider)
    {
        if (options.MaxRetries <= 0)
        {
            return;
        }

        var maxDelay = options.MaxRetryDelay;
        builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
        {
            Name = "TwilioRetry",
            MaxRetryAttempts = options.MaxRetries,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = options.RetryBaseDelay,
            MaxDelay = maxDelay,
            ShouldHandle = args => ValueTask.FromResult(ShouldRetry(args.Outcome.Result, args.Outcome.Exception, maxDelay, timeProvider)),
            DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome.Result, timeProvider)),
        });
    }

    /// <summary>Whether an attempt's outcome proves the message was not created, and a retry is worth its delay.</summary>
    internal static bool ShouldRetry(HttpResponseMessage? response, Exception? exception, TimeSpan maxDelay, TimeProvider timeProvider)
    {
        if (response is not null)
        {
            if (!IsRetryableStatus(response.StatusCode))
            {
                return false;
            }

            // A Retry-After longer than a caller will wait on the line ends the retries: the LLM is told at once.
            var retryAfter = RetryAfter(response, timeProvider);
            return retryAfter is null || retryAfter <= maxDelay;
        }

        return exception is HttpRequestException failure && WasNotSent(failure);
    }

    /// <summary>Whether an HTTP status proves Twilio did not process the request: 429 (error 20429) or 503.</summary>
    internal static bool IsRetryableStatus(HttpStatusCode status) =>
        status is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable;

    /// <summary>Whether the request failed before any of it reached Twilio (no connection, DNS, TLS or proxy failure).</summary>
    internal static bool WasNotSent(HttpRequestException failure) =>
        failure.HttpRequestError is HttpRequestError.ConnectionError
            or HttpRequestError.NameResolutionError
            or HttpRequestError.SecureConnectionError
            or HttpRequestError.ProxyTunnelError;

    /// <summary>The delay a <c>Retry-After</c> header asks for, or <see langword="null"/> to use exponential backoff.</summary>
    internal static TimeSpan? RetryAfter(HttpResponseMessage? response, TimeProvider timeProvider)
    {
        var header = response?.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }

        if (header?.Date is { } date)
        {
            var wait = date - timeProvider.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return null;
    }
}
