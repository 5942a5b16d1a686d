# Sourced by rss.sh and scrape.sh: the collectd 5.12 configuration both
# compare tacho with (logfile, csv, write_prometheus and write_http loaded).
#   collectd_base_conf DIR PORT   prints it; DIR holds the log, CSV and pid
#                                 files, PORT is write_prometheus's port
collectd_base_conf() {
    local dir=$1 port=$2
    mkdir -p "$dir/csv"
    cat <<CONF
Hostname "bench"
FQDNLookup false
Interval 10
BaseDir "$dir"
PIDFile "$dir/collectd.pid"
PluginDir "/usr/lib/collectd"
TypesDB "/usr/share/collectd/types.db"
LoadPlugin logfile
<Plugin logfile>
  LogLevel "info"
  File "$dir/collectd.log"
</Plugin>
LoadPlugin csv
<Plugin csv>
  DataDir "$dir/csv"
</Plugin>
LoadPlugin write_prometheus
<Plugin write_prometheus>
  Host "127.0.0.1"
  Port "$port"
</Plugin>
LoadPlugin write_http
<Plugin write_http>
  <Node "bench">
    URL "http://127.0.0.1:9/collectd"
    Format "JSON"
  </Node>
</Plugin>
CONF
}
