using BenchmarkDotNet.Attributes;
using InCallMessaging.SemanticKernel;
using InCallMessaging.SemanticKernel.Actions;
using InCallMessaging.SemanticKernel.Functions;
using Normalizer = InCallMessaging.SemanticKernel.PhoneNumbers;

namespace InCallMessaging.Benchmarks.Micro;

/// <summary>
/// The pieces of the send flow and of reply delivery, measured one by one, to explain the totals of
/// <see cref="ActionInvocationBenchmarks"/> and <see cref="ReplyDeliveryBenchmarks"/>.
/// </summary>
[Config(typeof(SteadyStateConfig))]
public class SendPathComponentBenchmarks
{
    private CompiledAction _action = null!;
    private List<KeyValuePair<string, object?>> _values = null!;
    private OutboundMessage _message = null!;

    [GlobalSetup]
    public void Setup()
    {
        var options = new InCallMessagingOptions();
        Fixture.Configure(options);
        _action = ActionCatalog.Create(options, [new LoopbackMessageProvider()]).Actions.First(a => a.Name == Fixture.SendAction);
        _values = [new("user_name", "Ada1"), new("otp_code", Fixture.OtpCode)];
        _message = new OutboundMessage
        {
            SenderName = Fixture.SenderName,
            Sender = _action.Sender,
            Channel = MessageChannel.Sms,
            To = Fixture.Caller(1),
            Body = _action.Body!.Render(_values),
            CallId = Fixture.CallId(1),
            ActionName = _action.Name,
            ClientReference = Guid.NewGuid().ToString("N"),
        };
    }

    [Benchmark(Description = "PhoneNumbers.TryNormalize (libphonenumber parse+validate+format)")]
    public string Normalize() => Normalizer.TryNormalize(Fixture.SenderNumber, out var e164) ? e164 : "";

    [Benchmark(Description = "MessageTemplate.Render (Scriban, reused context)")]
    public string Render() => _action.Body!.Render(_values);

    [Benchmark(Description = "ActionResult.ToJson")]
    public string ResultJson() => new ActionResult(ActionResult.Sent, MessageChannel.Sms, "+1******0001", "LB0000000000000000000000000000002a",
        Detail: "The message was sent. If the caller texts back, the reply will appear in the conversation.").ToJson();

    [Benchmark(Description = "Guid.NewGuid().ToString(\"N\") (client reference)")]
    public string ClientReference() => Guid.NewGuid().ToString("N");

    [Benchmark(Description = "LoopbackMessageProvider.SendAsync (fresh provider per 64k)")]
    public async ValueTask<SendResult> LoopbackSend()
    {
        if (_loopbackSends++ % 65_536 == 0)
        {
            _loopback = new LoopbackMessageProvider();
        }

        return await _loopback.SendAsync(_message, CancellationToken.None);
    }

    private LoopbackMessageProvider _loopback = new();
    private long _loopbackSends;
}
