using InCallMessaging.SemanticKernel;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace InCallMessaging.Sqlite.Tests;

/// <summary><c>AddInCallMessagingSqliteStore</c>: one store behind the three seams, winning over the in-memory defaults.</summary>
public sealed class SqliteStoreRegistrationTests : IDisposable
{
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task Options_bind_from_configuration()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sqlite:ConnectionString"] = _database.ConnectionString,
            ["Sqlite:Synchronous"] = "Full",
            ["Sqlite:BusyTimeout"] = "00:00:03",
        }).Build();
        var services = new ServiceCollection().AddInCallMessagingSqliteStore(configuration.GetSection("Sqlite"));

        await using var provider = services.BuildServiceProvider();
        var options = provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<SqliteStoreOptions>>().Value;

        Assert.Equal(_database.ConnectionString, options.ConnectionString);
        Assert.Equal(SqliteSynchronous.Full, options.Synchronous);
        Assert.Equal(TimeSpan.FromSeconds(3), options.BusyTimeout);
        Assert.True(await provider.GetRequiredService<IDeduplicationStore>().TryMarkAsync("in:SM1", TimeSpan.FromHours(1)));
    }

    [Fact]
    public async Task With_the_plugin_the_runtime_uses_the_sqlite_store()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddInCallMessaging(o =>
        {
            o.Senders["default"] = new MessageSenderOptions { From = "+14155550199" };
            o.Actions.Add(new InCallMessageAction { Name = "send_summary", Description = "Text the caller a summary of the call." });
        });
        services.AddInCallMessagingSqliteStore(_database.ConnectionString);

        await using var provider = services.BuildServiceProvider();
        var runtime = provider.GetRequiredService<InCallMessagingRuntime>();

        Assert.IsType<SqliteStateStore>(runtime.MessageLog);
        Assert.Same(runtime.MessageLog, runtime.Consent);
        Assert.StartsWith("SQLite (", runtime.MessageLog.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task One_store_serves_all_three_seams_whichever_is_registered_first(bool defaultsFirst)
    {
        var services = new ServiceCollection();
        if (defaultsFirst)
        {
            AddInMemoryDefaults(services);
        }

        services.AddInCallMessagingSqliteStore(_database.ConnectionString);
        if (!defaultsFirst)
        {
            AddInMemoryDefaults(services);
        }

        await using var provider = services.BuildServiceProvider();
        var store = provider.GetRequiredService<SqliteStateStore>();
        Assert.Same(store, provider.GetRequiredService<IConsentStore>());
        Assert.Same(store, provider.GetRequiredService<IMessageLog>());
        Assert.Same(store, provider.GetRequiredService<IDeduplicationStore>());
        Assert.True(await provider.GetRequiredService<IDeduplicationStore>().TryMarkAsync("in:SM1", TimeSpan.FromHours(1)));
    }

    [Fact]
    public async Task The_configure_overload_sets_the_options()
    {
        var services = new ServiceCollection();
        services.AddInCallMessagingSqliteStore(options =>
        {
            options.ConnectionString = _database.ConnectionString;
            options.Synchronous = SqliteSynchronous.Full;
        });

        await using var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<SqliteStateStore>().OpenAsync();

        Assert.True(File.Exists(_database.Path));
    }

    [Fact]
    public async Task The_host_opens_the_database_at_start_up_and_a_bad_file_stops_it()
    {
        await File.WriteAllTextAsync(_database.Path, string.Concat(Enumerable.Repeat("garbage ", 1000)));
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddInCallMessagingSqliteStore(_database.ConnectionString);
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<StateStoreException>(() => host.StartAsync());

        Assert.Contains(_database.Path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_host_creates_the_schema_at_start_up()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddInCallMessagingSqliteStore(_database.ConnectionString);
        using var host = builder.Build();

        await host.StartAsync();
        Assert.Equal((long)Internal.SqliteSchema.LatestVersion, _database.Scalar("SELECT version FROM schema_version"));
        await host.StopAsync();
    }

    [Fact]
    public void An_empty_connection_string_fails_on_resolve_naming_the_setting()
    {
        var services = new ServiceCollection();
        services.AddInCallMessagingSqliteStore(string.Empty);
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<ArgumentException>(() => provider.GetRequiredService<IMessageLog>());
        Assert.Contains("ConnectionStrings:InCallMessaging", error.Message, StringComparison.Ordinal);
    }

    private static void AddInMemoryDefaults(IServiceCollection services)
    {
        // What the core's AddInCallMessaging does.
        services.TryAddSingleton<IConsentStore, InMemoryConsentStore>();
        services.TryAddSingleton<IMessageLog, InMemoryMessageLog>();
        services.TryAddSingleton<IDeduplicationStore, InMemoryDeduplicationStore>();
    }
}
