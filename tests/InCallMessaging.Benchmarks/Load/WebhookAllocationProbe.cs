using InCallMessaging.SemanticKernel;
using InCallMessaging.AspNetCore.Internal;
using InCallMessaging.AspNetCore.Twilio;
using InCallMessaging.Twilio;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using InCallMessaging.Twilio.Internal;

namespace InCallMessaging.Benchmarks.Load;

/// <summary>
/// <c>probe webhook-allocs</c>: the bytes each step of the Twilio webhook allocates for one request (averaged over
/// 2,000 unique signed requests, after a warm-up), to find where the endpoint's allocations come from.
/// </summary>
internal static class WebhookAllocationProbe
{
    public static async Task<int> RunAsync()
    {
        const int port = 5080;
        const int calls = 100;
        var (app, _) = await BenchServer.BuildAsync("webhook", port, calls, new BenchServer.Counters());
        var hub = app.Services.GetRequiredService<IReplyHub>();
        var template = new SignedRequestTemplate("127.0.0.1", port, BenchServer.Path, Fixture.AuthToken);
        var steps = new SortedDictionary<string, long>(StringComparer.Ordinal);
        long sequence = 0;
        const int warmup = 2000;
        const int measured = 2000;
        for (var round = 0; round < warmup + measured; round++)
        {
            sequence++;
            template.Fill(0xa110c, sequence, Fixture.Caller((int)(sequence % calls)));
            var context = SignedHttpContext.Create(app.Services, port, template.Body, template.Signature);
            var request = context.Request;
            context.Response.Body = Stream.Null;
            var record = round >= warmup;

            var before = GC.GetAllocatedBytesForCurrentThread();
            void Step(string name)
            {
                var now = GC.GetAllocatedBytesForCurrentThread();
                if (record)
                {
                    steps[name] = steps.GetValueOrDefault(name) + (now - before);
                }

                before = GC.GetAllocatedBytesForCurrentThread();
            }

            _ = WebhookBodyReader.IsForm(request);
            Step("1 IsForm (content-type parse)");
            var (lease, _) = await WebhookBodyReader.ReadFormAsync(context, 65536);
            Step("2 ReadFormAsync (read into a pooled body, decode in place)");
            var urls = TwilioSignedUrl.Build(request, null);
            Step("3 TwilioSignedUrl.Build");
            var valid = TwilioSignature.IsValid(urls[0], lease!.Form, template.Signature, Fixture.AuthToken);
            Step("4 TwilioSignature.IsValid");
            _ = TwilioWebhookParser.TryParseInbound(lease.Form, out var message, out _);
            lease.Dispose();
            Step("5 TwilioWebhookParser.TryParseInbound (and the lease's end)");
            var outcome = await hub.DeliverAsync(message!);
            Step("6 hub.DeliverAsync");
            await WebhookResults.Twiml().ExecuteAsync(context);
            Step("7 WebhookResults.Twiml().ExecuteAsync");
            if (!valid || outcome != ReplyDeliveryOutcome.DeliveredToCall)
            {
                throw new InvalidOperationException($"valid {valid}, outcome {outcome}");
            }
        }

        long total = 0;
        foreach (var (name, bytes) in steps)
        {
            Console.WriteLine($"{name,-45} {bytes / (double)measured,8:N0} B");
            total += bytes;
        }

        Console.WriteLine($"{"total",-45} {total / (double)measured,8:N0} B");
        await app.DisposeAsync();
        return 0;
    }
}
