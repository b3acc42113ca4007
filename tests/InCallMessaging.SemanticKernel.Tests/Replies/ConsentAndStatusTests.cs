using Microsoft.Extensions.Time.Testing;

namespace InCallMessaging.SemanticKernel.Tests.Core.Replies;

/// <summary>Unit tests of the small reply-side pieces: consent keywords, status ordering and the dedupe store.</summary>
public sealed class ConsentAndStatusTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("STOP")]
    [InlineData("stop")]
    [InlineData(" Stop. ")]
    [InlineData("unsubscribe!")]
    [InlineData("QUIT")]
    public void Stop_words_opt_out_for_that_sender_only(string text)
    {
        var consent = new CallerConsent();

        Assert.Equal(ConsentChange.OptedOut, consent.Observe("+14155550100", "default", MessageChannel.Sms, text, null, Now));

        Assert.True(consent.IsOptedOut("+14155550100", "DEFAULT"));
        Assert.False(consent.IsOptedOut("+14155550100", "other"));
        Assert.False(consent.IsOptedOut("+14155550101", "default"));
    }

    [Theory]
    [InlineData("please stop calling me")]
    [InlineData("stopped")]
    [InlineData("yes")]
    public void Other_texts_do_not_opt_out(string text)
    {
        var consent = new CallerConsent();

        consent.Observe("+14155550100", "default", MessageChannel.Sms, text, null, Now);

        Assert.False(consent.IsOptedOut("+14155550100", "default"));
    }

    [Fact]
    public void Start_words_opt_back_in_only_after_an_opt_out()
    {
        var consent = new CallerConsent();
        Assert.Equal(ConsentChange.None, consent.Observe("+1", "s", MessageChannel.Sms, "START", null, Now));

        consent.Observe("+1", "s", MessageChannel.Sms, "hello", "STOP", Now);
        Assert.True(consent.IsOptedOut("+1", "s"));

        Assert.Equal(ConsentChange.OptedIn, consent.Observe("+1", "s", MessageChannel.Sms, "unstop", null, Now));
        Assert.False(consent.IsOptedOut("+1", "s"));
    }

    [Fact]
    public void WhatsApp_window_lasts_24_hours_from_the_last_inbound_whatsapp()
    {
        var consent = new CallerConsent();
        consent.Observe("+1", "wa", MessageChannel.WhatsApp, "hi", null, Now);

        Assert.True(consent.IsWhatsAppWindowOpen("+1", "WA", Now.AddHours(24).AddTicks(-1)));
        Assert.False(consent.IsWhatsAppWindowOpen("+1", "wa", Now.AddHours(24)));
        Assert.False(consent.IsWhatsAppWindowOpen("+2", "wa", Now));
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
