//! The OpenAPI 3 document, served at /api/openapi.json.

use crate::routes;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

struct BearerAuth;

/// An action's fields are one part of its body, beside `action` and
/// `version`: the part must not forbid other properties, or no body
/// satisfies the whole (the parser still refuses unknown fields).
struct OpenActionParts;

impl Modify for OpenActionParts {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{RefOr, Schema};
        let Some(components) = openapi.components.as_mut() else { return };
        for name in crate::dto::actions::ACTION_PARTS {
            if let Some(RefOr::T(Schema::Object(part))) = components.schemas.get_mut(*name) {
                part.additional_properties = None;
            }
        }
    }
}

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some("Token from POST /api/v1/auth/login")).build(),
            ),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(utoipa::openapi::security::ApiKey::Header(utoipa::openapi::security::ApiKeyValue::with_description(
                "X-Api-Key",
                "A partner's API key (POST /api/v1/api-keys); an external system's has the update scope",
            ))),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "hotline: 12345 government service hotline",
        description = "Work orders (工单) from registration to archive, with deadlines in Chinese working days. \
            Ids are strings; times are RFC 3339 in the centre's time zone. Errors share one body: {code, message, fields}.",
        license(name = "AGPL-3.0-or-later")
    ),
    modifiers(&BearerAuth, &OpenActionParts),
    paths(
        routes::meta::healthz, routes::meta::livez, routes::meta::readyz, routes::meta::readyz_callcentre, crate::metrics::scrape,
        routes::auth::login, routes::auth::logout, routes::auth::me,
        routes::orders::create, routes::orders::list, routes::orders::pending, routes::orders::stream, routes::orders::get, routes::orders::history,
        routes::orders::act, routes::orders::reveal_phone, routes::orders::proposal, routes::suggestions::suggest, routes::suggestions::similar_to_order,
        routes::attachments::upload, routes::attachments::download,
        routes::calendar::due, routes::calendar::coverage, routes::calendar::alerts, routes::calendar::read_alert, routes::deadlines::promise, routes::deadlines::rules, routes::deadlines::set_rules, routes::calendar::days, routes::calendar::set_day, routes::calendar::clear_day, routes::calendar::import,
        routes::org::units, routes::org::create_unit, routes::org::update_unit, routes::org::hotlines, routes::org::create_hotline,
        routes::org::categories, routes::org::create_category, routes::org::catalogue, routes::org::add_catalogue, routes::org::delete_catalogue,
        routes::users::list, routes::users::create, routes::users::update,
        routes::api_keys::list, routes::api_keys::create, routes::api_keys::rotate, routes::api_keys::revoke,
        routes::external::list, routes::external::connect, routes::external::rotate, routes::external::pushes, routes::external::resend,
        routes::external::order, routes::external::history, routes::external::act, routes::external::attach,
        routes::sms::log, routes::sms::get_templates, routes::sms::set_templates, routes::sms::receipt,
        routes::sms::incoming, routes::sms::received,
        routes::audit::log, routes::audit::verify,
        routes::kb::search, routes::kb::suggest, routes::kb::hot, routes::kb::search_orders, routes::kb::link,
        routes::kb::list, routes::kb::create, routes::kb::get, routes::kb::edit, routes::kb::act, routes::kb::versions, routes::kb::diff,
        routes::kb::vocabulary, routes::kb::add_term, routes::kb::remove_term, routes::kb::add_synonyms, routes::kb::remove_synonyms,
        routes::kb::proposals, routes::kb::dismiss_proposal,
        routes::kb::public_search, routes::kb::public_suggest, routes::kb::public_article, routes::kb::public_hot,
        routes::topics::list, routes::topics::public,
        routes::calls::wallboard, routes::calls::wallboard_stream, routes::calls::calls, routes::calls::call, routes::calls::recording, routes::calls::monitor, routes::calls::stop_monitor, routes::softphone::connect, routes::softphone::close, routes::softphone::hold, routes::calls::link_order,
        routes::calls::figures, routes::staffing::staffing, routes::calls::set_agent_status, routes::staffing::seat_plan, routes::calls::status_changes, routes::calls::callbacks, routes::calls::callback_done, routes::calls::callback_dial,
        routes::calls::sub_centres, routes::calls::screen_pop, routes::calls::consultants, routes::calls::consultant,
        routes::calls::add_training, routes::calls::certify, routes::calls::set_mentor,
        routes::calls::simulate_call, routes::calls::simulate_hang_up, routes::calls::simulate_line, routes::desk::open,
        routes::evaluation::figures, routes::evaluation::ranking,
        routes::supervision::alerts, routes::supervision::read, routes::supervision::deliveries, routes::supervision::incident_orders, routes::supervision::merge_incident, routes::supervision::stream,
        routes::supervision::orders, routes::supervision::repeats, routes::supervision::notices, routes::supervision::cards,
        routes::supervision::scan, routes::supervision::contacts, routes::supervision::set_contacts,
        routes::reports::report, routes::reports::report_xlsx, routes::reports::export, routes::reports::dashboard,
        routes::reports::dashboard_stream,
        routes::emergency::rules, routes::emergency::add_rule, routes::emergency::update_rule, routes::emergency::dangers,
        routes::emergency::save_dangers, routes::emergency::reset_dangers, routes::emergency::warnings,
        routes::emergency::publish, routes::emergency::withdraw, routes::emergency::public_warnings,
        routes::portal::submit, routes::portal::track, routes::portal::add_photo, routes::portal::rate, routes::portal::replies, routes::portal::form,
    ),
    tags(
        (name = "work orders", description = "登记、派单、签收、退单、延期、办结、审核、回访、督办、并单"),
        (name = "calendar", description = "工作日历：法定节假日与调休"),
        (name = "organisation", description = "单位、热线、分类、派单目录"),
        (name = "users", description = "用户与角色"),
        (name = "partners", description = "对接系统的 API key：签发、权限范围、轮换、吊销（Open311 GeoReport v2 接口在 /open311/v2/，见 docs/open311.md）；单位业务系统对接：推送、死信重发、凭 update 密钥办理（docs/external-systems.md）"),
        (name = "sms", description = "短信：受理回执、办结告知、短信回访、模板、发送记录、运营商回执与市民来信（docs/sms.md）"),
        (name = "auth", description = "登录"),
        (name = "audit", description = "审计日志"),
        (name = "knowledge", description = "知识库：检索、条目审核发布、版本、热点问题、词典与同义词"),
        (name = "portal", description = "公众门户：知识检索与热点问题、网上提交诉求、凭单号和手机尾号查询、满意度评价、公开答复（按客户端限流）"),
        (name = "call centre", description = "话务：坐席工作台（WebSocket）、监控墙、话单与服务水平、回拨、来电弹屏、话务员培训与认证、话务模拟"),
        (name = "evaluation", description = "绩效考核：按单位、镇街、分类、话务员的指标，月度考核得分与排名通报"),
        (name = "reports", description = "报表：日报、周报、月报（图表数据与 Excel），工单导出（单位用户脱敏）"),
        (name = "emergency", description = "应急联动：按分类与关键词联动应急、疾控、生态环境、市场监管等单位，限时签收否则升级；突发预警；向公众发布预警"),
        (name = "supervision", description = "电子监察：时限预警、超期、催办与升级，监察台列表、督办单、黄红牌，告警的邮件与 webhook 推送"),
        (name = "meta", description = "健康检查"),
    )
)]
pub struct ApiDoc;
