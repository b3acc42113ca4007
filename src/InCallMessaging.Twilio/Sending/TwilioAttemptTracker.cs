using System.Net;

namespace InCallMessaging.Twilio;

/// <summary>
/// Records how the latest attempt of one send ended, so a timeout that fires while waiting to retry (nothing sent)
/// is told apart from one that fires while a request is out (the message may have been created).
/// </summary>
internal sealed class TwilioAttempts
{
    internal static readonly HttpRequestOptionsKey<TwilioAttempts> Key = new("InCallMessaging.Twilio.Attempts");

    private int _count;
    private volatile TwilioAttemptOutcome _last;

    /// <summary>How many attempts were made.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>How the latest attempt ended.</summary>
    public TwilioAttemptOutcome Last => _last;

    /// <summary>The HTTP status of the latest answer, when <see cref="Last"/> is <see cref="TwilioAttemptOutcome.Answered"/>.</summary>
    public HttpStatusCode LastStatus { get; private set; }

    internal void Started()
    {
        Interlocked.Increment(ref _count);
        _last = TwilioAttemptOutcome.InFlight;
    }

    internal void Answered(HttpStatusCode status)
    {
        LastStatus = status;
        _last = TwilioAttemptOutcome.Answered;
    }

    internal void Ended(TwilioAttemptOutcome outcome) => _last = outcome;
}

/// <summary>How one attempt ended.</summary>
internal enum TwilioAttemptOutcome
{
    /// <summary>No attempt started.</summary>
    None,

    /// <summary>The request is out and no answer has come.</summary>
    InFlight,

    /// <summary>Twilio answered.</summary>
    Answered,

    /// <summary>No connection was made: nothing reached Twilio.</summary>
    NotSent,

    /// <summary>The connection failed or the attempt was cancelled after the request went out.</summary>
    Interrupted,
}

/// <summary>The innermost handler of the Twilio HttpClient: it sees every attempt the retry strategy makes.</summary>
internal sealed class TwilioAttemptTracker : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!request.Options.TryGetValue(TwilioAttempts.Key, out var attempts))
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }

        attempts.Started();
        try
        {
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            attempts.Answered(response.StatusCode);
            return response;
        }
        catch (HttpRequestException failure) when (TwilioRetry.WasNotSent(failure))
        {
            attempts.Ended(TwilioAttemptOutcome.NotSent);
            throw;
        }
        catch
        {
            attempts.Ended(TwilioAttemptOutcome.Interrupted);
            throw;
        }
    }
}
