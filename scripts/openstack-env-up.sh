#!/usr/bin/env bash
# Brings up a small single-node OpenStack (Zed, from Debian bookworm's packages) on
# 127.0.0.1 for the OpenStack plugin's conformance run: keystone, swift, glance (file
# store), placement, nova (fake virt driver), neutron (ML2 "test" driver, no agents),
# cinder (fake driver) and designate (fake backend, real mdns), on MariaDB, RabbitMQ
# and memcached. Nothing listens on anything but 127.0.0.1.
#
# Idempotent: when an environment made by this script is already up and answering, it
# is left as it is; otherwise what is left of one is stopped and a new one is made.
# Every daemon is started with setsid and recorded in $DIR/pids so that
# scripts/openstack-env-down.sh stops it by process group.
#
# Writes $DIR/openrc (OS_* variables) and $DIR/clouds.yaml (cloud "cloudbridge").
# Takes ~3.5 min of apt on a fresh machine, ~2 min of setup, ~3.3 GB of RAM.
#
# Environment: CB_OPENSTACK_DIR (default /tmp/cloudbridge-openstack),
# CB_OPENSTACK_SKIP_APT=1 to skip the package check.
set -euo pipefail
DIR=${CB_OPENSTACK_DIR:-/tmp/cloudbridge-openstack}
HERE=$(cd "$(dirname "$0")" && pwd)
PW=secret
PY=/usr/bin/python3 # Debian's OpenStack is installed for the system python, not another one on PATH
T0=$(date +%s)
log() { echo "[openstack-env +$(($(date +%s) - T0))s] $*"; }

PACKAGES="mariadb-server python3-pymysql rabbitmq-server erlang-base memcached uwsgi uwsgi-plugin-python3
  keystone python3-openstackclient python3-openstacksdk python3-keystoneclient
  swift swift-proxy swift-object swift-container swift-account python3-swiftclient
  glance-api placement-api nova-api nova-conductor nova-scheduler python3-nova
  neutron-server cinder-api cinder-scheduler cinder-volume
  designate-api designate-central designate-worker designate-producer designate-mdns curl"

# healthy: an environment of ours is up when its marker exists, every recorded process
# group is alive and keystone issues a token.
healthy() {
	[ -f "$DIR/ready" ] || return 1
	local f
	for f in "$DIR"/pids/*.pid; do
		[ -f "$f" ] || return 1
		kill -0 -- -"$(cat "$f")" 2>/dev/null || return 1
	done
	curl -sf -o /dev/null -H 'Content-Type: application/json' -X POST http://127.0.0.1:5000/v3/auth/tokens \
		-d '{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin","domain":{"id":"default"},"password":"'$PW'"}}},"scope":{"project":{"name":"admin","domain":{"id":"default"}}}}}'
}
if healthy; then
	log "already up: . $DIR/openrc"
	exit 0
fi
"$HERE/openstack-env-down.sh" >/dev/null 2>&1 || true

if [ "${CB_OPENSTACK_SKIP_APT:-0}" != 1 ]; then
	want=$(echo $PACKAGES | wc -w)
	# shellcheck disable=SC2086
	have=$(dpkg-query -W -f='${Status}\n' $PACKAGES 2>/dev/null | grep -c 'install ok installed' || true)
	if [ "$have" -eq "$want" ]; then
		log "packages already installed"
	else
		log "apt install"
		export DEBIAN_FRONTEND=noninteractive
		# Packages must not start their daemons: every process here is ours to stop.
		policy=""
		if [ ! -e /usr/sbin/policy-rc.d ]; then
			printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
			policy=/usr/sbin/policy-rc.d
		fi
		apt-get update -qq
		# shellcheck disable=SC2086
		apt-get install -y -qq --no-install-recommends $PACKAGES >"${TMPDIR:-/tmp}/cloudbridge-openstack-apt.log" 2>&1 ||
			{ tail -30 "${TMPDIR:-/tmp}/cloudbridge-openstack-apt.log" >&2; exit 1; }
		[ -z "$policy" ] || rm -f "$policy"
	fi
fi

rm -rf "$DIR"
mkdir -p "$DIR"/{log,pids,locks,images,state/nova,state/cinder,state/neutron,state/glance,swift/node/sdb1,swift/etc,ks/fernet,ks/cred}
cd "$DIR"
# quiet runs a management command, keeping its output (eventlet noise at exit) in the log.
quiet() { "$@" >"$DIR/log/$(basename "$1")-$(date +%s%N).out" 2>&1 || { echo "failed: $*" >&2; tail -20 "$DIR"/log/"$(basename "$1")"-*.out >&2; return 1; }; }
wait_http() {
	local i
	for i in $(seq 1 240); do curl -s -o /dev/null "$1" && return 0; sleep 0.5; done
	echo "timeout waiting for $1" >&2
	return 1
}
# start runs a daemon in a session (and process group) of its own, recorded by pid.
start() {
	local name=$1
	shift
	setsid "$@" >"$DIR/log/$name.out" 2>&1 </dev/null &
	echo $! >"$DIR/pids/$name.pid"
}
on_error() {
	echo "openstack-env-up failed; logs in $DIR/log; stopping what was started" >&2
	"$HERE/openstack-env-down.sh" >/dev/null 2>&1 || true
}
trap on_error ERR

log "mariadb, rabbitmq, memcached"
mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
if mysqladmin ping >/dev/null 2>&1; then
	echo "a MariaDB not started by this script is running; stop it first" >&2
	exit 1
fi
start mysqld mysqld_safe --bind-address=127.0.0.1 --port=3306
# epmd is started here (not by rabbitmq, which would daemonize it out of reach).
start epmd epmd -address 127.0.0.1 -port 4369
mkdir -p /etc/rabbitmq
# Loopback only: AMQP (NODE_IP_ADDRESS), epmd, and the Erlang distribution port.
cat >/etc/rabbitmq/rabbitmq-env.conf <<'EOF'
NODE_IP_ADDRESS=127.0.0.1
NODE_PORT=5672
ERL_EPMD_ADDRESS=127.0.0.1
SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
EOF
HOME=/var/lib/rabbitmq start rabbitmq /usr/sbin/rabbitmq-server
start memcached memcached -u nobody -l 127.0.0.1 -p 11211 -U 0
for _ in $(seq 1 120); do mysqladmin ping >/dev/null 2>&1 && break; sleep 0.5; done
DBS="keystone glance placement nova_api nova nova_cell0 neutron cinder designate"
{
	for d in $DBS; do echo "DROP DATABASE IF EXISTS $d; CREATE DATABASE $d;"; done
	echo "CREATE USER IF NOT EXISTS 'os'@'127.0.0.1' IDENTIFIED BY 'os'; GRANT ALL ON *.* TO 'os'@'127.0.0.1'; FLUSH PRIVILEGES;"
} | mysql
DB=mysql+pymysql://os:os@127.0.0.1
RMQ=rabbit://guest:guest@127.0.0.1:5672/

KS="www_authenticate_uri = http://127.0.0.1:5000/v3
auth_url = http://127.0.0.1:5000/v3
memcached_servers = 127.0.0.1:11211
auth_type = password
project_domain_id = default
user_domain_id = default
project_name = admin
username = admin
password = $PW
region_name = RegionOne"
SVC="auth_url = http://127.0.0.1:5000/v3
auth_type = password
project_domain_id = default
user_domain_id = default
project_name = admin
username = admin
password = $PW
region_name = RegionOne"

log "keystone"
cat >ks/keystone.conf <<EOF
[DEFAULT]
log_dir = $DIR/log
[database]
connection = $DB/keystone
[token]
expiration = 3600
[fernet_tokens]
key_repository = $DIR/ks/fernet
[fernet_receipts]
key_repository = $DIR/ks/fernet
[credential]
key_repository = $DIR/ks/cred
[oslo_policy]
policy_dirs = /etc/keystone/policy.d
EOF
quiet keystone-manage --config-file ks/keystone.conf db_sync
quiet keystone-manage --config-file ks/keystone.conf fernet_setup --keystone-user root --keystone-group root
quiet keystone-manage --config-file ks/keystone.conf credential_setup --keystone-user root --keystone-group root
quiet keystone-manage --config-file ks/keystone.conf bootstrap --bootstrap-password $PW \
	--bootstrap-admin-url http://127.0.0.1:5000/v3/ --bootstrap-public-url http://127.0.0.1:5000/v3/ \
	--bootstrap-internal-url http://127.0.0.1:5000/v3/ --bootstrap-region-id RegionOne
# uwsgi --http-socket does no keep-alive: "Connection: close" stops clients reusing a closed socket.
OS_KEYSTONE_CONFIG_DIR=$DIR/ks OS_KEYSTONE_CONFIG_FILES=keystone.conf start keystone \
	uwsgi --http-socket 127.0.0.1:5000 --plugins python3 --wsgi-file /usr/bin/keystone-wsgi-public \
	--processes 2 --threads 2 --master --die-on-term --lazy-apps --add-header "Connection: close"

log "configuration"
cat >glance-api.conf <<EOF
[DEFAULT]
bind_host = 127.0.0.1
bind_port = 9292
workers = 1
log_dir = $DIR/log
enabled_backends = fs:file
[database]
connection = $DB/glance
[keystone_authtoken]
$KS
[paste_deploy]
flavor = keystone
config_file = /etc/glance/glance-api-paste.ini
[glance_store]
default_backend = fs
[fs]
filesystem_store_datadir = $DIR/images
[os_glance_staging_store]
filesystem_store_datadir = $DIR/state/glance/staging
[os_glance_tasks_store]
filesystem_store_datadir = $DIR/state/glance/tasks
[oslo_concurrency]
lock_path = $DIR/locks
EOF
cat >placement.conf <<EOF
[DEFAULT]
log_dir = $DIR/log
[placement_database]
connection = $DB/placement
[api]
auth_strategy = keystone
[keystone_authtoken]
$KS
EOF
cat >nova.conf <<EOF
[DEFAULT]
transport_url = $RMQ
compute_driver = fake.FakeDriver
# the host name neutron's "test" ML2 mechanism driver binds ports for (and marks ACTIVE)
host = host-ovs-filter-active
state_path = $DIR/state/nova
instances_path = $DIR/state/nova/instances
log_dir = $DIR/log
my_ip = 127.0.0.1
osapi_compute_listen = 127.0.0.1
metadata_listen = 127.0.0.1
osapi_compute_workers = 1
metadata_workers = 1
[wsgi]
api_paste_config = /etc/nova/api-paste.ini
[api]
auth_strategy = keystone
[keystone_authtoken]
$KS
[placement]
$SVC
[neutron]
$SVC
[cinder]
$SVC
os_region_name = RegionOne
[glance]
$SVC
[service_user]
# cinder lets nova detach a volume only with a service token (role "service"), OSSA-2023-003
send_service_user_token = true
$SVC
[conductor]
workers = 1
[scheduler]
workers = 1
discover_hosts_in_cells_interval = 5
[oslo_concurrency]
lock_path = $DIR/locks
[oslo_messaging_notifications]
driver = noop
[vnc]
enabled = false
EOF
# A second compute host, put in availability zone zone-2 below, so that the region has two
# zones. Instances go to the default zone, nova: neutron's "test" driver only binds ports on
# host-ovs-filter-active.
cat >nova-compute-2.conf <<EOF
[DEFAULT]
host = cloudbridge-zone-2
instances_path = $DIR/state/nova/instances-2
EOF
# nova-compute runs with nova.conf alone: a compute service must not see database sections.
cat >nova-db.conf <<EOF
[api_database]
connection = $DB/nova_api
[database]
connection = $DB/nova
EOF
cat >neutron.conf <<EOF
[DEFAULT]
bind_host = 127.0.0.1
bind_port = 9696
api_paste_config = /etc/neutron/api-paste.ini
core_plugin = ml2
service_plugins = router
auth_strategy = keystone
transport_url = $RMQ
api_workers = 1
rpc_workers = 1
rpc_state_report_workers = 0
log_dir = $DIR/log
state_path = $DIR/state/neutron
[database]
connection = $DB/neutron
[keystone_authtoken]
$KS
[nova]
$SVC
[oslo_concurrency]
lock_path = $DIR/locks
[oslo_messaging_notifications]
driver = noop
[ml2]
type_drivers = flat,vxlan
tenant_network_types = vxlan
mechanism_drivers = test
extension_drivers = port_security
[ml2_type_flat]
flat_networks = public
[ml2_type_vxlan]
vni_ranges = 1:1000
EOF
cat >cinder.conf <<EOF
[DEFAULT]
api_paste_config = /etc/cinder/api-paste.ini
transport_url = $RMQ
auth_strategy = keystone
enabled_backends = fake,fake2
my_ip = 127.0.0.1
osapi_volume_listen = 127.0.0.1
osapi_volume_workers = 1
log_dir = $DIR/log
state_path = $DIR/state/cinder
glance_api_servers = http://127.0.0.1:9292
[database]
connection = $DB/cinder
[keystone_authtoken]
$KS
[nova]
$SVC
[fake]
volume_driver = cinder.tests.fake_driver.FakeLoggingVolumeDriver
volume_backend_name = fake
# A second backend in a second availability zone, beside nova-compute-2.
[fake2]
volume_driver = cinder.tests.fake_driver.FakeLoggingVolumeDriver
volume_backend_name = fake2
backend_availability_zone = zone-2
[oslo_concurrency]
lock_path = $DIR/locks
[oslo_messaging_notifications]
driver = noop
EOF
cat >designate.conf <<EOF
[DEFAULT]
transport_url = $RMQ
log_dir = $DIR/log
state_path = $DIR/state
[oslo_concurrency]
lock_path = $DIR/locks
[oslo_messaging_notifications]
driver = noop
[storage:sqlalchemy]
connection = $DB/designate
[service:api]
listen = 127.0.0.1:9001
api_paste_config = /etc/designate/api-paste.ini
auth_strategy = keystone
enable_api_v2 = True
enable_api_admin = True
api_base_uri = http://127.0.0.1:9001/
workers = 1
[service:central]
workers = 1
[service:worker]
workers = 1
poll_delay = 1
poll_retry_interval = 1
poll_max_retries = 5
[service:producer]
workers = 1
[service:mdns]
listen = 127.0.0.1:5354
workers = 1
[keystone_authtoken]
$KS
EOF
# The fake pool target points at mdns on 127.0.0.1:5354.
cat >pools.yaml <<'EOF'
- name: default
  description: Default pool
  attributes: {}
  ns_records:
    - hostname: ns1.cloudbridge-test.org.
      priority: 1
  nameservers:
    - host: 127.0.0.1
      port: 5354
  targets:
    - type: fake
      description: fake backend (zones are served by designate-mdns on 127.0.0.1:5354)
      masters:
        - host: 127.0.0.1
          port: 5354
      options:
        host: 127.0.0.1
        port: 5354
EOF

log "database schemas"
# The services' schemas are independent: they are made side by side.
nova_db() {
	quiet nova-manage --config-file nova.conf --config-file nova-db.conf api_db sync &&
		quiet nova-manage --config-file nova.conf --config-file nova-db.conf cell_v2 map_cell0 --database_connection $DB/nova_cell0 &&
		quiet nova-manage --config-file nova.conf --config-file nova-db.conf db sync &&
		quiet nova-manage --config-file nova.conf --config-file nova-db.conf cell_v2 create_cell --name cell1
}
jobs_=()
quiet glance-manage --config-file glance-api.conf db_sync & jobs_+=($!)
quiet placement-manage --config-file placement.conf db sync & jobs_+=($!)
nova_db & jobs_+=($!)
quiet neutron-db-manage --config-file neutron.conf upgrade head & jobs_+=($!)
quiet cinder-manage --config-file cinder.conf db sync & jobs_+=($!)
quiet designate-manage --config-file designate.conf database sync & jobs_+=($!)
for j in "${jobs_[@]}"; do wait "$j"; done

log "swift rings"
for r in account:6202 container:6201 object:6200; do
	n=${r%%:*}
	p=${r##*:}
	cat >swift/etc/$n-server.conf <<EOF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $p
workers = 1
user = root
swift_dir = $DIR/swift/etc
devices = $DIR/swift/node
mount_check = false
[pipeline:main]
pipeline = healthcheck $n-server
[app:$n-server]
use = egg:swift#$n
[filter:healthcheck]
use = egg:swift#healthcheck
EOF
	(cd swift/etc && swift-ring-builder $n.builder create 0 1 1 >/dev/null &&
		swift-ring-builder $n.builder add r1z1-127.0.0.1:$p/sdb1 100 >/dev/null &&
		swift-ring-builder $n.builder rebalance >/dev/null)
done
printf '[swift-hash]\nswift_hash_path_suffix = cloudbridge\n' >swift/etc/swift.conf
cat >swift/etc/proxy-server.conf <<EOF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = 8080
workers = 1
user = root
swift_dir = $DIR/swift/etc
[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk tempurl authtoken keystoneauth copy slo dlo versioned_writes symlink proxy-logging proxy-server
[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory
$KS
delay_auth_decision = True
[filter:keystoneauth]
use = egg:swift#keystoneauth
operator_roles = admin, member
[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:11211
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:bulk]
use = egg:swift#bulk
[filter:tempurl]
use = egg:swift#tempurl
[filter:copy]
use = egg:swift#copy
[filter:slo]
use = egg:swift#slo
min_segment_size = 1
[filter:dlo]
use = egg:swift#dlo
[filter:versioned_writes]
use = egg:swift#versioned_writes
allow_versioned_writes = true
[filter:symlink]
use = egg:swift#symlink
EOF

log "services"
wait_http http://127.0.0.1:5000/v3
cat >register.py <<'EOF'
from keystoneauth1.identity import v3
from keystoneauth1 import session
from keystoneclient.v3 import client
auth = v3.Password(auth_url='http://127.0.0.1:5000/v3', username='admin', password='secret',
                   project_name='admin', user_domain_id='default', project_domain_id='default')
ks = client.Client(session=session.Session(auth=auth))
svcs = [('swift', 'object-store', 'http://127.0.0.1:8080/v1/AUTH_%(project_id)s'),
        ('glance', 'image', 'http://127.0.0.1:9292'),
        ('placement', 'placement', 'http://127.0.0.1:8778'),
        ('nova', 'compute', 'http://127.0.0.1:8774/v2.1'),
        ('neutron', 'network', 'http://127.0.0.1:9696'),
        ('cinderv3', 'volumev3', 'http://127.0.0.1:8776/v3/%(project_id)s'),
        ('cinder', 'block-storage', 'http://127.0.0.1:8776/v3/%(project_id)s'),
        ('designate', 'dns', 'http://127.0.0.1:9001')]
role = ks.roles.create(name='service')
admin = [u for u in ks.users.list() if u.name == 'admin'][0]
proj = [p for p in ks.projects.list() if p.name == 'admin'][0]
ks.roles.grant(role, user=admin, project=proj)
for name, typ, url in svcs:
    s = ks.services.create(name=name, type=typ)
    for iface in ('public', 'internal', 'admin'):
        ks.endpoints.create(service=s, url=url, interface=iface, region='RegionOne')
EOF
quiet $PY register.py
for s in account container object proxy; do start swift-$s swift-$s-server swift/etc/$s-server.conf; done
start glance-api glance-api --config-file glance-api.conf
OS_PLACEMENT_CONFIG_DIR=$DIR start placement uwsgi --http-socket 127.0.0.1:8778 --plugins python3 \
	--wsgi-file /usr/bin/placement-api --processes 1 --master --die-on-term --lazy-apps --add-header "Connection: close"
ln -sf /etc/nova/api-paste.ini nova-api-paste.ini # nova-api-wsgi reads paste from the first file listed
OS_NOVA_CONFIG_DIR=$DIR OS_NOVA_CONFIG_FILES="nova-api-paste.ini;nova.conf;nova-db.conf" start nova-api \
	uwsgi --http-socket 127.0.0.1:8774 --plugins python3 --wsgi-file /usr/bin/nova-api-wsgi \
	--processes 1 --master --die-on-term --lazy-apps --add-header "Connection: close"
start nova-conductor nova-conductor --config-file nova.conf --config-file nova-db.conf
start nova-scheduler nova-scheduler --config-file nova.conf --config-file nova-db.conf
# /usr/bin/nova-compute ships in Debian's nova-compute, which pulls libvirt and qemu: run the module instead.
start nova-compute $PY -c 'from nova.cmd.compute import main; main()' --config-file nova.conf --log-file "$DIR/log/nova-compute.log"
start nova-compute-2 $PY -c 'from nova.cmd.compute import main; main()' --config-file nova.conf --config-file nova-compute-2.conf \
	--log-file "$DIR/log/nova-compute-2.log"
# -O: the "test" mechanism driver asserts on things that differ outside neutron's unit tests.
start neutron-server $PY -O /usr/bin/neutron-server --config-file neutron.conf
start cinder-api cinder-api --config-file cinder.conf
start cinder-scheduler cinder-scheduler --config-file cinder.conf
start cinder-volume cinder-volume --config-file cinder.conf
for s in central worker producer mdns api; do start designate-$s designate-$s --config-file designate.conf; done
for u in http://127.0.0.1:8080/healthcheck http://127.0.0.1:9292/ http://127.0.0.1:8778/ http://127.0.0.1:8774/ \
	http://127.0.0.1:9696/ http://127.0.0.1:8776/ http://127.0.0.1:9001/; do wait_http "$u"; done

log "pools, cells, seed data"
sleep 3
# designate-manage pool update needs central to be running.
for i in $(seq 1 30); do quiet designate-manage --config-file designate.conf pool update --file pools.yaml && break || sleep 2; done
for _ in $(seq 1 90); do
	quiet nova-manage --config-file nova.conf --config-file nova-db.conf cell_v2 discover_hosts
	mysql -N nova_api -e 'select count(*) from host_mappings' | grep -q '^[2-9]' && break
	sleep 1
done
cat >openrc <<EOF
export OS_AUTH_URL=http://127.0.0.1:5000/v3 OS_USERNAME=admin OS_PASSWORD=$PW OS_PROJECT_NAME=admin
export OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_ID=default OS_IDENTITY_API_VERSION=3 OS_REGION_NAME=RegionOne
export OS_INTERFACE=public
EOF
cat >clouds.yaml <<EOF
clouds:
  cloudbridge:
    auth:
      auth_url: http://127.0.0.1:5000/v3
      username: admin
      password: $PW
      project_name: admin
      user_domain_name: Default
      project_domain_id: default
    region_name: RegionOne
    interface: public
    identity_api_version: 3
EOF
head -c 1048576 /dev/zero >fake.img
cat >seed.py <<'EOF'
import openstack
c = openstack.connect(auth_url='http://127.0.0.1:5000/v3', username='admin', password='secret', project_name='admin',
                      user_domain_id='default', project_domain_id='default', region_name='RegionOne')
c.compute.create_flavor(name='m1.tiny', ram=512, vcpus=1, disk=1)
c.compute.create_flavor(name='m1.small', ram=2048, vcpus=1, disk=20)
c.create_image('cirros-fake', filename='fake.img', disk_format='raw', container_format='bare', visibility='public', wait=True)
net = c.network.create_network(name='public', is_router_external=True, provider_network_type='flat',
                               provider_physical_network='public')
c.network.create_subnet(network_id=net.id, name='public-subnet', cidr='172.24.4.0/24', ip_version=4, is_dhcp_enabled=False)
agg = c.compute.create_aggregate(name='zone-2', availability_zone='zone-2')
c.compute.add_host_to_aggregate(agg, 'cloudbridge-zone-2')
EOF
quiet $PY seed.py
touch ready
trap - ERR
log "up: . $DIR/openrc   or   OS_CLOUD=cloudbridge with $DIR/clouds.yaml   (stop: scripts/openstack-env-down.sh)"
