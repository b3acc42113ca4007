namespace VoiceBotHost.Simulator;

/// <summary>
/// The offline machinery in one place, kept apart from what a real deployment copies (Program, Agent/,
/// ConversationRelay/): the browser call simulator, its simulated phone carrier and the signed-webhook client that
/// plays Twilio. A host on real Twilio credentials never calls these.
/// </summary>
public static class OfflineSimulatorExtensions
{
    /// <summary>Registers the call simulator's services (its settings bind from <c>Simulator</c>).</summary>
    public static IServiceCollection AddOfflineSimulator(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<SimulatorSettings>(configuration.GetSection(SimulatorSettings.SectionName));
        services.AddHttpClient();
        services.AddSingleton<SignedWebhookClient>();
        services.AddSingleton<SimulatorEventStream>();
        services.AddHostedService<SimulatedCarrier>();
        services.AddHostedService<ModelViewPublisher>();
        return services;
    }

    /// <summary>Serves the simulator page at <c>/</c> and its endpoints under <c>/simulator</c>.</summary>
    public static WebApplication MapOfflineSimulator(this WebApplication app)
    {
        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.MapCallSimulator();
        return app;
    }
}
