using Microsoft.Extensions.Time.Testing;

namespace InCallMessaging.SemanticKernel.Tests.Core.Replies;

/// <summary>Unit tests of the small reply-side pieces: consent keywords, status ordering and the dedupe store.</summary>
public sealed class ConsentAndStatusTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);

    private const string Agent = "+14155550199";
    private const string OtherAgent = "+14155550198";

    private static async Task<bool> IsOptedOutAsync(CallerConsent consent, string caller, string identity) =>
        (await consent.GetAsync(caller, identity, default)).OptedOut;

    [Theory]
    [InlineData("STOP")]
    [InlineData("stop")]
    [InlineData(" Stop. ")]
    [InlineData("unsubscribe!")]
    [InlineData("QUIT")]
    public async Task Stop_words_opt_out_for_that_sending_identity_only(string text)
    {
        var consent = new CallerConsent(new InMemoryConsentStore());

        Assert.Equal(ConsentChange.OptedOut, await consent.ObserveAsync("+14155550100", Agent, MessageChannel.Sms, text, null, Now, default));

        Assert.True(await IsOptedOutAsync(consent, "+14155550100", Agent));
        Assert.False(await IsOptedOutAsync(consent, "+14155550100", OtherAgent));
        Assert.False(await IsOptedOutAsync(consent, "+14155550101", Agent));
    }

    [Theory]
    [InlineData("please stop calling me")]
    [InlineData("stopped")]
    [InlineData("yes")]
    public async Task Other_texts_do_not_opt_out(string text)
    {
        var consent = new CallerConsent(new InMemoryConsentStore());

        await consent.ObserveAsync("+14155550100", Agent, MessageChannel.Sms, text, null, Now, default);

        Assert.False(await IsOptedOutAsync(consent, "+14155550100", Agent));
    }

    [Fact]
    public async Task Start_words_opt_back_in_only_after_an_opt_out()
    {
        var consent = new CallerConsent(new InMemoryConsentStore());
        Assert.Equal(ConsentChange.None, await consent.ObserveAsync("+1", "s", MessageChannel.Sms, "START", null, Now, default));

        await consent.ObserveAsync("+1", "s", MessageChannel.Sms, "hello", "STOP", Now, default);
        Assert.True(await IsOptedOutAsync(consent, "+1", "s"));

        Assert.Equal(ConsentChange.OptedIn, await consent.ObserveAsync("+1", "s", MessageChannel.Sms, "unstop", null, Now, default));
        Assert.False(await IsOptedOutAsync(consent, "+1", "s"));
    }

    [Fact]
    public async Task WhatsApp_window_lasts_24_hours_from_the_last_inbound_whatsapp()
    {
        var consent = new CallerConsent(new InMemoryConsentStore());
        await consent.ObserveAsync("+1", "wa", MessageChannel.WhatsApp, "hi", null, Now, default);

        var record = await consent.GetAsync("+1", "wa", default);
        Assert.True(CallerConsent.IsWhatsAppWindowOpen(record, Now.AddHours(24).AddTicks(-1)));
        Assert.False(CallerConsent.IsWhatsAppWindowOpen(record, Now.AddHours(24)));
        Assert.False(CallerConsent.IsWhatsAppWindowOpen(await consent.GetAsync("+2", "wa", default), Now));
    }

    [Theory]
    [InlineData("queued", "sent", true)]
    [InlineData("sent", "delivered", true)]
    [InlineData("delivered", "read", true)]
    [InlineData("sent", "failed", true)]
    [InlineData("delivered", "sent", false)]
    [InlineData("read", "delivered", false)]
    [InlineData("sent", "queued", false)]
    [InlineData("sent", "sent", false)]
    [InlineData("sent", "mystery", false)]
    public void Status_only_moves_forward(string current, string next, bool applied)
    {
        var message = new CallMessage(MessageDirection.Outbound, MessageChannel.Sms, "SM1", "default", "+1", "x", Now, "a", current);

        Assert.Equal(applied, DeliveryStatus.TryAdvance(message, DeliveryStatus.FromWord(next), next, "30003"));

        Assert.Equal(applied ? next : current, message.Status);
        Assert.Equal(applied ? "30003" : null, message.ErrorCode);
    }

    [Fact]
    public async Task Dedupe_store_marks_once_and_forgets_after_the_retention()
    {
        var time = new FakeTimeProvider(Now);
        var store = new InMemoryDeduplicationStore(time);

        Assert.True(await store.TryMarkAsync("in:SM1", TimeSpan.FromMinutes(1)));
        Assert.False(await store.TryMarkAsync("in:SM1", TimeSpan.FromMinutes(1)));
        Assert.True(await store.TryMarkAsync("in:SM2", TimeSpan.FromMinutes(5)));

        time.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(1, store.Purge());
        Assert.Equal(1, store.Count);
        Assert.True(await store.TryMarkAsync("in:SM1", TimeSpan.FromMinutes(1)));
        Assert.False(await store.TryMarkAsync("in:SM2", TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task Expired_key_is_marked_again_even_before_a_purge()
    {
        var time = new FakeTimeProvider(Now);
        var store = new InMemoryDeduplicationStore(time);
        await store.TryMarkAsync("k", TimeSpan.FromSeconds(10));

        time.Advance(TimeSpan.FromSeconds(10));

        Assert.True(await store.TryMarkAsync("k", TimeSpan.FromSeconds(10)));
        Assert.False(await store.TryMarkAsync("k", TimeSpan.FromSeconds(10)));
    }
}
