using System.Text.Json.Nodes;
using VoiceBotHost.Simulator;

namespace VoiceBotHost.Tests.Llm;

/// <summary>The offline demo model's rules, on the same OpenAI-shaped messages a real model gets.</summary>
public sealed class DemoModelTests
{
    private static readonly string[] Tools = ["messaging-send_otp", "messaging-collect_email", "messaging-send_payment_link", "messaging-send_summary",
        "messaging-send_booking_confirmation", "verification-check_code", "appointments-book_technician_visit"];

    /// <summary>What the after-call run offers: the after-call actions only.</summary>
    private static readonly string[] AfterCallTools = ["messaging-send_booking_confirmation"];

    private static JsonObject SystemLine(string text) => new() { ["role"] = "system", ["content"] = text };

    private const string AfterCallInstruction = "The call has ended; the conversation above is its transcript.";

    private static JsonObject User(string text) => new() { ["role"] = "user", ["content"] = text };

    private static JsonObject Assistant(string text) => new() { ["role"] = "assistant", ["content"] = text };

    private static JsonObject Call(string id, string name, object arguments) => new()
    {
        ["role"] = "assistant",
        ["content"] = null,
        ["tool_calls"] = new JsonArray(new JsonObject
        {
            ["id"] = id,
            ["type"] = "function",
            ["function"] = new JsonObject { ["name"] = name, ["arguments"] = System.Text.Json.JsonSerializer.Serialize(arguments) },
        }),
    };

    private static JsonObject Result(string id, object result) => new()
    {
        ["role"] = "tool",
        ["tool_call_id"] = id,
        ["content"] = System.Text.Json.JsonSerializer.Serialize(result),
    };

    [Theory]
    [InlineData("Can you text me a verification code?", "messaging-send_otp")]
    [InlineData("I'll text you my email", "messaging-collect_email")]
    [InlineData("I want to pay my bill", "messaging-send_payment_link")]
    [InlineData("Please text me a summary", "messaging-send_summary")]
    [InlineData("My internet is down, can you book a technician?", "appointments-book_technician_visit")]
    public void Caller_requests_become_tool_calls(string said, string tool)
    {
        var answer = DemoModel.Answer([User(said)], Tools);

        Assert.Equal(tool, answer.ToolName);
    }

    [Fact]
    public void A_code_request_passes_no_code_the_server_makes_it()
    {
        var answer = DemoModel.Answer([User("verify me please")], Tools);

        Assert.Equal("messaging-send_otp", answer.ToolName);
        Assert.Empty(answer.Arguments!);
    }

    [Theory]
    [InlineData("verified", "Thanks, you're verified.")]
    [InlineData("no_match", "That code doesn't match the one I texted you.")]
    [InlineData("too_many_attempts", "that code no longer works")]
    public void The_answer_follows_the_servers_verdict_and_never_reads_the_code(string verdict, string expected)
    {
        JsonArray messages =
        [
            User("code please"), Call("c1", "messaging-send_otp", new { }),
            Result("c1", new { status = "replied", reply = "123456", code_check = new { status = verdict } }),
        ];

        var answer = DemoModel.Answer(messages, Tools);

        Assert.Contains(expected, answer.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("123456", answer.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void No_reply_says_the_caller_is_not_verified_yet()
    {
        JsonArray none = [User("code please"), Call("c1", "messaging-send_otp", new { }), Result("c1", new { status = "no_reply", reason = "timeout" })];

        Assert.Contains("didn't get the code back", DemoModel.Answer(none, Tools).Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[SMS Reply]: 482913", "482913")]
    [InlineData("[DTMF]: 482913", "482913")]
    [InlineData("It's four eight two nine one three.", "It's four eight two nine one three.")]
    public void A_code_given_after_the_wait_stepped_aside_goes_to_the_servers_check(string line, string passed)
    {
        JsonArray messages =
        [
            User("code please"), Call("c1", "messaging-send_otp", new { }),
            Result("c1", new { status = "waiting", reason = "caller_spoke" }), User("hold on"), Assistant("Sure, take your time."),
            User(line),
        ];

        var answer = DemoModel.Answer(messages, Tools);

        Assert.Equal("verification-check_code", answer.ToolName);
        Assert.Equal(passed, (string?)answer.Arguments!["code"]);
    }

    [Fact]
    public void Hold_on_during_a_code_wait_gets_a_short_answer()
    {
        JsonArray messages = [User("code please"), Call("c1", "messaging-send_otp", new { }), Result("c1", new { status = "waiting" }), User("Hold on, let me find my phone.")];

        var answer = DemoModel.Answer(messages, Tools);

        Assert.Null(answer.ToolName);
        Assert.StartsWith("Sure, take your time.", answer.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("opted_out", "text START")]
    [InlineData("duplicate", "already sent you that text")]
    [InlineData("not_mobile", "can't receive texts")]
    [InlineData("undelivered", "didn't reach your phone")]
    [InlineData("provider_unavailable", "try again in a minute")]
    public void Failures_are_said_in_words_without_reason_codes(string reason, string expected)
    {
        JsonArray messages = [User("summary please"), Call("c1", "messaging-send_summary", new { message = "hi" }), Result("c1", new { status = "blocked", reason })];

        var text = DemoModel.Answer(messages, Tools).Text!;

        Assert.Contains(expected, text, StringComparison.Ordinal);
        Assert.DoesNotContain(reason, text, StringComparison.Ordinal);
        Assert.DoesNotContain("(", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_failed_code_send_never_offers_to_read_the_code()
    {
        JsonArray messages = [User("code please"), Call("c1", "messaging-send_otp", new { }), Result("c1", new { status = "failed", reason = "rate_limited" })];

        var text = DemoModel.Answer(messages, Tools).Text!;

        Assert.DoesNotContain("read", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("details", text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_texted_reply_line_is_acknowledged()
    {
        var answer = DemoModel.Answer([User("hi"), User("[SMS Reply]: running late, sorry")], Tools);

        Assert.Null(answer.ToolName);
        Assert.Contains("running late, sorry", answer.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_summary_is_written_from_what_the_tools_reported()
    {
        JsonArray messages =
        [
            User("code"), Call("c1", "messaging-send_otp", new { }), Result("c1", new { status = "replied", reply = "654321", code_check = new { status = "verified" } }),
            User("pay"), Call("c2", "messaging-send_payment_link", new { amount = "$49.00" }), Result("c2", new { status = "sent" }),
            User("text me a summary"),
        ];

        var answer = DemoModel.Answer(messages, Tools);

        Assert.Equal("messaging-send_summary", answer.ToolName);
        Assert.Equal("Acme call summary: your phone number was verified; we sent a payment link for $49.00 to your WhatsApp. Reply to this text if you have any questions.",
            (string?)answer.Arguments!["message"]);
    }

    [Fact]
    public void Without_the_tool_on_offer_it_just_talks()
    {
        var answer = DemoModel.Answer([User("text me a code")], []);

        Assert.Null(answer.ToolName);
        Assert.Contains("verification code", answer.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_booked_visit_is_said_with_its_window_and_reference_and_its_confirmation_is_left_for_after_the_call()
    {
        JsonArray messages =
        [
            SystemLine("prompt"), User("book a technician please"), Call("c1", "appointments-book_technician_visit", new { }),
            Result("c1", new { status = "booked", window = "Tuesday 1 December, 10am-12pm", reference = "AC-123456" }),
        ];

        var answer = DemoModel.Answer(messages, Tools);

        Assert.Null(answer.ToolName);
        Assert.Contains("Tuesday 1 December, 10am-12pm", answer.Text, StringComparison.Ordinal);
        Assert.Contains("AC-123456", answer.Text, StringComparison.Ordinal);
        Assert.Contains("after our call", answer.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void After_a_call_with_a_booking_it_texts_the_confirmation_once()
    {
        JsonArray messages =
        [
            SystemLine("prompt"), User("book a technician please"), Call("c1", "appointments-book_technician_visit", new { }),
            Result("c1", new { status = "booked", window = "Tuesday 1 December, 10am-12pm", reference = "AC-123456" }),
            Assistant("You're booked."), User("thanks, bye"), Assistant("Goodbye!"), SystemLine(AfterCallInstruction),
        ];

        var answer = DemoModel.Answer(messages, AfterCallTools);

        Assert.Equal("messaging-send_booking_confirmation", answer.ToolName);
        Assert.Empty(answer.Arguments!);

        // Its result comes back: nobody is listening, so it neither talks nor sends again.
        messages.Add(Call("c2", "messaging-send_booking_confirmation", new { }));
        messages.Add(Result("c2", new { status = "sent" }));
        var after = DemoModel.Answer(messages, AfterCallTools);
        Assert.Null(after.ToolName);
        Assert.Equal("", after.Text);
    }

    [Theory]
    [InlineData("failed")]
    [InlineData(null)]
    public void After_a_call_without_a_booking_it_does_nothing(string? bookingStatus)
    {
        JsonArray messages = [SystemLine("prompt"), User("text me a summary"), Call("c1", "messaging-send_summary", new { message = "hi" }), Result("c1", new { status = "sent" })];
        if (bookingStatus is not null)
        {
            messages.Add(User("book a technician"));
            messages.Add(Call("c2", "appointments-book_technician_visit", new { }));
            messages.Add(Result("c2", new { status = bookingStatus }));
        }

        messages.Add(SystemLine(AfterCallInstruction));

        var answer = DemoModel.Answer(messages, AfterCallTools);

        Assert.Null(answer.ToolName);
        Assert.Equal("", answer.Text);
    }

    [Fact]
    public void During_the_call_it_never_sends_the_confirmation_itself()
    {
        JsonArray messages =
        [
            SystemLine("prompt"), User("book a technician please"), Call("c1", "appointments-book_technician_visit", new { }),
            Result("c1", new { status = "booked", window = "Tuesday 1 December, 10am-12pm", reference = "AC-123456" }),
            Assistant("You're booked."), User("Can you text me the booking confirmation?"),
        ];

        var answer = DemoModel.Answer(messages, Tools);

        // Neither the confirmation now nor a second booking: it says when the text comes.
        Assert.Null(answer.ToolName);
        Assert.Contains("AC-123456", answer.Text, StringComparison.Ordinal);
        Assert.Contains("confirmation after our call", answer.Text, StringComparison.Ordinal);
    }
}
