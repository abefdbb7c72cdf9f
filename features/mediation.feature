# language: zh-CN
功能: 矛盾调处
  社区矛盾纠纷人民调解（人民调解法）与街道信访事项办理（信访工作条例）：受理审查、分流、
  高风险通报公安、一个月调解期限及经同意延期、调解协议生效、司法确认、履行监督、回访和结案。

  背景:
    假如 案件在 "华阳路街道" 办理

  场景: 物业费纠纷经两次调解达成书面协议，签章齐全后生效并安排履行核查和回访（场景1）
    假如 今天是 2025-03-03
    当 "调解受理员" 发起 "矛盾调处" 流程
    而且 "调解受理员" 办理 "受理登记"：
      | 字段                 | 值                                   |
      | caseNo               | HY-2025-001                          |
      | sourceChannel        | SELF_APPLICATION                     |
      | applicationForm      | WRITTEN                              |
      | applicationDate      | 2025-03-03                           |
      | applicantName        | 某物业服务有限公司                   |
      | applicantUscc        | "914403001922038216"                 |
      | respondentName       | 王某                                 |
      | partyCount           | 2                                    |
      | disputeType          | PROPERTY_MGMT                        |
      | subType              | 物业费                               |
      | amountInDispute      | "2400.00"                            |
      | facts                | 业主王某以屋顶漏水为由拒交物业费2400元 |
      | otherChannelStatus   | NONE                                 |
      | respondentConsent    | YES                                  |
      | riskLevel            | LOW                                  |
      | domesticViolenceFlag | false                                |
      | complexity           | SIMPLE                               |
      | crossArea            | false                                |
    那么 办理成功
    而且 "街道调委会主任" 的待办中有 "指派调解员"
    当 "街道调委会主任" 办理 "指派调解员"：
      | mediators               | 李调解员                     |
      | selectedBy              | COMMITTEE                    |
      | conflictChecked         | true                         |
      | invitedParticipants     | 街道房管办张某、社会组织调解员 |
      | partiesConsentToInvited | true                         |
    而且 "社会组织调解员" 办理 "社会组织接受委派"：
      | socialOrgName   | 华阳社区睦邻服务社 |
      | mediators       | 赵社工             |
      | conflictChecked | true               |
    那么 "调解会议" 的办理期限是 2025-04-03
    当 过了 7 天
    而且 "人民调解员" 办理 "调解会议"：
      | sessionDate    | 2025-03-10                               |
      | rightsInformed | true                                     |
      | summary        | 第一次调解：房管办查看漏水现场，双方陈述 |
      | sessionOutcome | PROGRESSING                              |
    而且 过了 10 天
    而且 "人民调解员" 办理 "调解会议"：
      | sessionDate    | 2025-03-20                                           |
      | summary        | 第二次调解：物业公司同意修缮，王某同意修缮后补交物业费 |
      | sessionOutcome | AGREEMENT                                            |
    而且 "人民调解员" 办理 "制作调解协议"：
      | agreementForm              | WRITTEN                                                                                                                                                                   |
      | agreementText              | 物业公司于15日内修复屋顶漏水；王某于修复后30日内支付物业费2400元                                                                                                         |
      | obligations                | [{"obligor": "某物业服务有限公司", "content": "修复屋顶漏水", "deadline": "2025-04-04"}, {"obligor": "王某", "content": "支付物业费", "amountYuan": "2400.00", "deadline": "2025-05-04"}] |
      | applicantSigned            | true                                                                                                                                                                      |
      | respondentSigned           | true                                                                                                                                                                      |
      | mediatorSigned             | true                                                                                                                                                                      |
      | committeeSealed            | false                                                                                                                                                                     |
      | judicialConfirmationWanted | false                                                                                                                                                                     |
    那么 "人民调解员" 的待办中有 "制作调解协议"
    当 "人民调解员" 办理 "制作调解协议"：
      | agreementForm              | WRITTEN                                                                                                                                                                   |
      | agreementText              | 物业公司于15日内修复屋顶漏水；王某于修复后30日内支付物业费2400元                                                                                                         |
      | obligations                | [{"obligor": "某物业服务有限公司", "content": "修复屋顶漏水", "deadline": "2025-04-04"}, {"obligor": "王某", "content": "支付物业费", "amountYuan": "2400.00", "deadline": "2025-05-04"}] |
      | applicantSigned            | true                                                                                                                                                                      |
      | respondentSigned           | true                                                                                                                                                                      |
      | mediatorSigned             | true                                                                                                                                                                      |
      | committeeSealed            | true                                                                                                                                                                      |
      | judicialConfirmationWanted | false                                                                                                                                                                     |
    那么 案件状态为 "等待中"
    而且 "人民调解员" 的待办中没有 "核查履行情况"
    当 过了 45 天
    那么 "人民调解员" 的待办中没有 "核查履行情况"
    当 过了 1 天
    那么 "人民调解员" 的待办中有 "核查履行情况"
    当 "人民调解员" 办理 "核查履行情况"：
      | performanceStatus | DONE                           |
      | notes             | 屋顶已修复，物业费已于5月2日付清 |
    那么 "回访员" 的待办中没有 "回访"
    当 过了 29 天
    那么 "回访员" 的待办中没有 "回访"
    当 过了 1 天
    那么 "回访员" 的待办中有 "回访"
    当 "回访员" 办理 "回访"：
      | method            | PHONE |
      | performanceStatus | DONE  |
      | satisfaction      | 5     |
      | newRisk           | false |
    而且 "人民调解员" 办理 "结案归档"：
      | archiveNo          | HY-2025-001-A |
      | statisticsReported | true          |
    那么 案件以 "SETTLED_PERFORMED" 结束

  场景: 联合申请司法确认在30日内提交，单方申请被拦截，法院确认后履行（场景2）
    假如 今天是 2025-06-02
    而且 "调解受理员" 登记了一件 "合同债务" 纠纷
    而且 调委会已指派调解员
    而且 双方达成调解协议并签章生效，履行期限为 2025-08-29：
      | judicialConfirmationWanted | true |
    那么 "司法确认申请" 的办理期限是 2025-07-02
    当 过了 18 天
    而且 "人民调解员" 办理 "司法确认申请"：
      | proceed                     | APPLY          |
      | jointApplication            | false          |
      | confirmationApplicationDate | 2025-06-20     |
      | court                       | 长宁区人民法院 |
      | confirmationScope           | WHOLE          |
    那么 审计记录中有 "message_sent"，内容包含 "须双方共同申请"
    而且 "人民调解员" 的待办中有 "司法确认申请"
    当 "人民调解员" 办理 "司法确认申请"：
      | proceed                     | APPLY          |
      | jointApplication            | true           |
      | confirmationApplicationDate | 2025-06-20     |
      | court                       | 长宁区人民法院 |
      | confirmationScope           | WHOLE          |
    那么 已向外发出消息 "judicial_confirmation_application"
    而且 案件状态为 "等待中"
    当 收到消息 "court_ruling"：
      | result     | CONFIRMED  |
      | rulingDate | 2025-06-30 |
    而且 过了 71 天
    而且 "人民调解员" 办理 "核查履行情况"：
      | performanceStatus | DONE |
    而且 过了 30 天
    而且 "回访员" 办理 "回访"：
      | method            | VISIT |
      | performanceStatus | DONE  |
      | satisfaction      | 4     |
      | newRisk           | false |
    而且 "人民调解员" 办理 "结案归档"：
      | archiveNo | HY-2025-002-A |
    那么 案件以 "SETTLED_CONFIRMED" 结束

  场景: 协议生效31日后不能再申请司法确认（场景2）
    假如 今天是 2025-06-02
    而且 "调解受理员" 登记了一件 "合同债务" 纠纷
    而且 调委会已指派调解员
    而且 双方达成调解协议并签章生效，履行期限为 2025-08-29：
      | judicialConfirmationWanted | true |
    当 过了 30 天
    那么 "人民调解员" 的待办中有 "司法确认申请"
    当 过了 1 天
    那么 "人民调解员" 的待办中没有 "司法确认申请"
    而且 审计记录中有 "message_sent"，内容包含 "已超过30日申请期限"
    而且 案件状态为 "等待中"

  场景: 定时任务服务停机期间超过30日，第31日提交的司法确认申请被拒绝（场景2）
    假如 今天是 2025-06-02
    而且 "调解受理员" 登记了一件 "合同债务" 纠纷
    而且 调委会已指派调解员
    而且 双方达成调解协议并签章生效，履行期限为 2025-08-29：
      | judicialConfirmationWanted | true |
    当 定时任务服务停止期间过了 31 天
    而且 "人民调解员" 办理 "司法确认申请"：
      | proceed                     | APPLY          |
      | jointApplication            | true           |
      | confirmationApplicationDate | 2025-07-03     |
      | court                       | 长宁区人民法院 |
      | confirmationScope           | WHOLE          |
    那么 办理被拒绝，提示包含 "期限已过"
    而且 审计记录中有 "message_sent"，内容包含 "已超过30日申请期限"
    而且 尚未向外发出消息 "judicial_confirmation_application"
    而且 "人民调解员" 的待办中没有 "司法确认申请"

  场景: 含离婚内容的协议整体申请司法确认被拒，财产和抚养部分可单独申请（场景3）
    假如 今天是 2025-04-07
    而且 "调解受理员" 登记了一件 "婚姻家庭" 纠纷
    而且 调委会已指派调解员
    而且 双方达成调解协议并签章生效，履行期限为 2025-05-30：
      | agreementText              | 双方同意离婚；房屋归女方，女方补偿男方二十万元；子女由女方抚养，男方每月支付抚养费 |
      | containsStatusContent      | true                                                                             |
      | judicialConfirmationWanted | true                                                                             |
    当 "人民调解员" 办理 "司法确认申请"：
      | proceed                     | APPLY      |
      | jointApplication            | true       |
      | confirmationApplicationDate | 2025-04-07 |
      | confirmationScope           | WHOLE      |
    那么 审计记录中有 "message_sent"，内容包含 "身份关系不予受理"
    而且 "人民调解员" 的待办中有 "司法确认申请"
    当 "人民调解员" 办理 "司法确认申请"：
      | proceed                     | APPLY                     |
      | jointApplication            | true                      |
      | confirmationApplicationDate | 2025-04-07                |
      | confirmationScope           | SEPARATE_PROPERTY_SUPPORT |
    那么 已向外发出消息 "judicial_confirmation_application"
    而且 审计记录中有 "message_sent"，内容包含 ""courtReviewFlag": true"
    当 收到消息 "court_ruling"：
      | result     | REJECTED   |
      | rulingDate | 2025-04-20 |
    而且 "人民调解员" 办理 "司法确认被驳回后处理"：
      | reMediate | false |
    而且 "人民调解员" 办理 "终止调解并告知其他途径"：
      | referral | LITIGATION |
    而且 "人民调解员" 办理 "结案归档"：
      | archiveNo | HY-2025-003-A |
    那么 案件以 "FAILED_REFERRED" 结束

  场景: 被申请人不同意调解，告知诉讼或报警途径后不予受理（场景4）
    假如 今天是 2025-03-03
    当 "调解受理员" 登记一件 "邻里" 纠纷：
      | facts             | 楼上住户夜间噪音扰民 |
      | respondentConsent | NO                   |
    那么 "调解受理员" 的待办中有 "告知其他途径"
    而且 "街道调委会主任" 的待办中没有 "指派调解员"
    而且 "居委会调解员" 的待办中没有 "居委会指派调解员"
    当 "调解受理员" 办理 "告知其他途径"：
      | referral      | LITIGATION                               |
      | referralNotes | 可向人民法院起诉；噪音扰民可向派出所报警 |
    那么 审计记录中有 "message_sent"，内容包含 "被申请人明确拒绝调解"
    而且 案件以 "NOT_ACCEPTED_REFERRED" 结束

  场景: 调解员填写的告知内容写入送达当事人的告知书
    假如 今天是 2025-03-03
    当 "调解受理员" 登记一件 "邻里" 纠纷：
      | facts             | 楼上住户夜间噪音扰民 |
      | respondentConsent | NO                   |
    而且 "调解受理员" 办理 "告知其他途径"：
      | 引导去向 | 诉讼                                     |
      | 告知内容 | 可向人民法院起诉；噪音扰民可向派出所报警 |
    那么 审计记录中有 "message_sent"，内容包含 "噪音扰民可向派出所报警"

  场景: 终止调解时调解员填写的告知说明写入终止调解告知书
    假如 今天是 2025-03-01
    而且 "调解受理员" 登记了一件 "邻里" 纠纷
    而且 调委会已指派调解员
    当 过了 32 天
    而且 "人民调解员" 办理 "征询延期意见"：
      | applicantConsents  | true  |
      | respondentConsents | false |
    而且 "人民调解员" 办理 "终止调解并告知其他途径"：
      | 引导去向 | 诉讼                                   |
      | 告知说明 | 可向长宁区人民法院起诉，可申请法律援助 |
    那么 审计记录中有 "message_sent"，内容包含 "可向长宁区人民法院起诉，可申请法律援助"

  场景: 已由法院受理的纠纷不予受理（场景5）
    假如 今天是 2025-03-03
    当 "调解受理员" 登记一件 "房屋" 纠纷：
      | otherChannelStatus | COURT |
    那么 "调解受理员" 的待办中有 "告知其他途径"
    当 "调解受理员" 办理 "告知其他途径"：
      | referral | OTHER_ORGAN |
    那么 审计记录中有 "message_sent"，内容包含 "已由人民法院受理或者处理"
    而且 案件以 "NOT_ACCEPTED_REFERRED" 结束

  场景: 一个月未调结，双方同意后延期一个月，延期以一次为限（场景6）
    假如 今天是 2025-03-01
    而且 "调解受理员" 登记了一件 "邻里" 纠纷
    当 调委会指派调解员
    那么 "调解会议" 的办理期限是 2025-04-01
    当 过了 31 天
    那么 "人民调解员" 的待办中有 "调解会议"
    而且 "人民调解员" 的待办中没有 "征询延期意见"
    当 过了 1 天
    那么 "人民调解员" 的待办中有 "征询延期意见"
    而且 "人民调解员" 的待办中没有 "调解会议"
    当 "人民调解员" 办理 "征询延期意见"：
      | applicantConsents  | true |
      | respondentConsents | true |
    那么 "调解会议" 的办理期限是 2025-05-01
    当 过了 30 天
    而且 "人民调解员" 办理 "征询延期意见"：
      | applicantConsents  | true |
      | respondentConsents | true |
    那么 "人民调解员" 的待办中有 "终止调解并告知其他途径"

  场景: 一方不同意延期，调解终止并引导诉讼（场景6）
    假如 今天是 2025-03-01
    而且 "调解受理员" 登记了一件 "邻里" 纠纷
    而且 调委会已指派调解员
    当 过了 32 天
    而且 "人民调解员" 办理 "征询延期意见"：
      | applicantConsents  | true  |
      | respondentConsents | false |
    而且 "人民调解员" 办理 "终止调解并告知其他途径"：
      | referral | LITIGATION |
    那么 审计记录中有 "message_sent"，内容包含 "诉讼时效期间为3年"
    当 "人民调解员" 办理 "结案归档"：
      | archiveNo | HY-2025-006-A |
    那么 案件以 "FAILED_REFERRED" 结束

  场景: 劳动争议调解不成，终止告知书载明时效中断和一年仲裁时效（场景7）
    假如 今天是 2025-09-01
    而且 "调解受理员" 登记了一件 "劳动" 纠纷：
      | applicationDate | 2025-09-01 |
    当 调委会指派调解员
    那么 "调解会议" 的办理期限是 2025-09-16
    当 调解会议结果为 "DEADLOCK"
    而且 "人民调解员" 办理 "终止调解并告知其他途径"：
      | referral | LABOUR_ARBITRATION |
    那么 审计记录中有 "message_sent"，内容包含 "自2025-09-01申请人民调解之日起诉讼时效中断"
    而且 审计记录中有 "message_sent"，内容包含 "仲裁时效期间为1年"
    当 "人民调解员" 办理 "结案归档"：
      | archiveNo | HY-2025-007-A |
    那么 案件以 "FAILED_REFERRED" 结束

  场景: 家暴高风险案件通报派出所，收到回执前不能结案（场景8）
    假如 今天是 2025-04-14
    而且 "调解受理员" 登记了一件 "婚姻家庭" 纠纷：
      | facts                | 妻子手臂有明显伤痕，双方争吵激烈 |
      | riskLevel            | HIGH                             |
      | domesticViolenceFlag | true                             |
    那么 已向外发出消息 "police_escalation"
    而且 "街道调委会主任" 的待办中有 "指派调解员"
    当 调委会指派调解员
    而且 调解会议结果为 "DEADLOCK"
    而且 "人民调解员" 办理 "终止调解并告知其他途径"：
      | referral | LEGAL_AID |
    那么 "人民调解员" 的待办中没有 "结案归档"
    而且 案件状态为 "等待中"
    当 收到消息 "police_receipt"：
      | station    | 华阳路派出所 |
      | receivedAt | 2025-04-14   |
    那么 "人民调解员" 的待办中有 "结案归档"
    当 "人民调解员" 办理 "结案归档"：
      | archiveNo | HY-2025-008-A |
    那么 案件以 "FAILED_REFERRED" 结束

  场景: 未经司法确认的协议两次督促仍未履行，告知就协议起诉（场景9）
    假如 今天是 2025-05-06
    而且 "调解受理员" 登记了一件 "损害赔偿" 纠纷
    而且 调委会已指派调解员
    而且 双方达成调解协议并签章生效，履行期限为 2025-06-06
    当 过了 31 天
    那么 "人民调解员" 的待办中没有 "核查履行情况"
    当 过了 1 天
    而且 "人民调解员" 办理 "核查履行情况"：
      | performanceStatus | REFUSED |
    而且 "人民调解员" 办理 "督促履行"：
      | method | PHONE |
    而且 过了 16 天
    而且 "人民调解员" 办理 "核查履行情况"：
      | performanceStatus | PENDING |
    而且 "人民调解员" 办理 "督促履行"：
      | method | WRITTEN |
    而且 过了 16 天
    而且 "人民调解员" 办理 "核查履行情况"：
      | performanceStatus | REFUSED |
    那么 审计记录中有 "message_sent"，内容包含 "可以就调解协议的履行或者内容向人民法院提起诉讼"
    而且 "人民调解员" 的待办中没有 "督促履行"
    当 过了 31 天
    而且 "回访员" 办理 "回访"：
      | method            | PHONE   |
      | performanceStatus | REFUSED |
      | satisfaction      | 2       |
      | newRisk           | false   |
    而且 "人民调解员" 办理 "结案归档"：
      | archiveNo | HY-2025-009-A |
    那么 案件以 "SETTLED_NOT_PERFORMED_REFERRED" 结束

  场景: 经司法确认的协议督促无果，告知2年内申请强制执行（场景9）
    假如 今天是 2025-05-06
    而且 "调解受理员" 登记了一件 "损害赔偿" 纠纷
    而且 调委会已指派调解员
    而且 双方达成调解协议并签章生效，履行期限为 2025-06-06：
      | judicialConfirmationWanted | true |
    当 "人民调解员" 办理 "司法确认申请"：
      | proceed                     | APPLY      |
      | jointApplication            | true       |
      | confirmationApplicationDate | 2025-05-06 |
    而且 收到消息 "court_ruling"：
      | result     | CONFIRMED  |
      | rulingDate | 2025-05-20 |
    而且 过了 32 天
    而且 "人民调解员" 办理 "核查履行情况"：
      | performanceStatus | REFUSED |
    而且 "人民调解员" 办理 "督促履行"：
      | method | PHONE |
    而且 过了 16 天
    而且 "人民调解员" 办理 "核查履行情况"：
      | performanceStatus | REFUSED |
    而且 "人民调解员" 办理 "督促履行"：
      | method | VISIT |
    而且 过了 16 天
    而且 "人民调解员" 办理 "核查履行情况"：
      | performanceStatus | REFUSED |
    那么 审计记录中有 "message_sent"，内容包含 "2年内向作出确认决定的人民法院申请强制执行"

  场景: 信访事项15日内告知受理，60日内办结，经批准延期30日，逾期复查请求不予受理（场景10）
    假如 今天是 2025-05-05
    当 "街道信访办" 发起 "信访事项办理" 流程
    而且 "街道信访办" 办理 "信访登记"：
      | petitionNo          | XF-2025-0505                   |
      | form                | VISIT                          |
      | petitionerName      | 陈某                           |
      | representativeCount | 2                              |
      | subject             | 对街道处理邻居违规装修的方式不满 |
      | category            | COMPLAINT_CLAIM                |
      | authority           | OURS                           |
      | receivedDate        | 2025-05-05                     |
    那么 "书面告知受理" 的办理期限是 2025-05-20
    当 过了 3 天
    而且 "街道信访办" 办理 "书面告知受理"：
      | acceptedDate  | 2025-05-08                       |
      | handlingRoute | 由街道城建中心会同房管办调查处理 |
    那么 "调查处理并出具处理意见" 的办理期限是 2025-07-07
    当 过了 50 天
    那么 尚未向外发出消息 "petition_deadline_warning"
    当 过了 1 天
    那么 已向外发出消息 "petition_deadline_warning"
    当 "街道信访办" 办理 "调查处理并出具处理意见"：
      | decision            | EXTEND                       |
      | decisionText        | 需会同区房管局现场核查，延期办理 |
      | extensionApprovedBy | 街道办事处主任               |
    那么 审计记录中有 "message_sent"，内容包含 "EXTENSION"
    而且 "调查处理并出具处理意见" 的办理期限是 2025-08-06
    当 过了 20 天
    而且 "街道信访办" 办理 "调查处理并出具处理意见"：
      | decision     | EXPLAIN                                  |
      | decisionText | 经核查，装修已按规定整改，向信访人解释说明 |
    # 2025-07-18 答复，第30日 2025-08-17 为星期日，期间顺延至 2025-08-18（民法典 第二百零三条）
    那么 审计记录中有 "message_sent"，内容包含 "2025-08-18"
    当 过了 32 天
    而且 收到消息 "petition_review_request"：
      | requestDate | 2025-08-19 |
    那么 审计记录中有 "message_sent"，内容包含 "复查请求已超过30日期限"
    而且 案件以 "PETITION_CLOSED" 结束

  场景: 复查期限最后一日为星期日的，顺延至星期一，星期一提出的复查请求报送上一级机关（民法典 第二百零三条）
    假如 今天是 2025-07-10
    当 "街道信访办" 发起 "信访事项办理" 流程
    而且 "街道信访办" 办理 "信访登记"：
      | 信访件编号       | XF-2025-0710           |
      | 信访形式         | 来信                   |
      | 信访人           | 吴某                   |
      | 代表人数         | 1                      |
      | 信访事项         | 对小区停车收费方案不服 |
      | 信访类别         | 申诉求决               |
      | 是否属本机关职权 | 属本机关               |
      | 收到日期         | 2025-07-10             |
    而且 "街道信访办" 办理 "书面告知受理"：
      | 受理日期 | 2025-07-10 |
    而且 过了 8 天
    而且 "街道信访办" 办理 "调查处理并出具处理意见"：
      | 处理意见         | 解释说明                         |
      | 处理意见书内容   | 收费方案经业主大会表决，解释说明 |
    那么 审计记录中有 "message_sent"，内容包含 ""reviewDeadline": "2025-08-18""
    当 过了 31 天
    而且 收到消息 "petition_review_request"：
      | requestDate | 2025-08-18 |
    那么 已向外发出消息 "petition_review_forwarded"

  场景: 30日内提出的复查请求报送上一级机关（场景10）
    假如 今天是 2025-05-05
    当 "街道信访办" 发起 "信访事项办理" 流程
    而且 "街道信访办" 办理 "信访登记"：
      | petitionNo          | XF-2025-0506   |
      | form                | LETTER         |
      | petitionerName      | 周某           |
      | representativeCount | 1              |
      | subject             | 对小区加装电梯补贴不服 |
      | category            | COMPLAINT_CLAIM |
      | authority           | OURS           |
      | receivedDate        | 2025-05-05     |
    而且 "街道信访办" 办理 "书面告知受理"：
      | acceptedDate | 2025-05-05 |
    而且 "街道信访办" 办理 "调查处理并出具处理意见"：
      | decision     | NOT_SUPPORT              |
      | decisionText | 不符合补贴条件，不予支持 |
    而且 过了 30 天
    而且 收到消息 "petition_review_request"：
      | requestDate | 2025-06-04 |
    那么 已向外发出消息 "petition_review_forwarded"
    当 收到消息 "petition_review_result"：
      | result | UPHELD |
    那么 案件以 "PETITION_CLOSED" 结束

  场景: 要求推翻法院判决的信访导入诉讼程序（场景11）
    假如 今天是 2025-05-05
    当 "街道信访办" 发起 "信访事项办理" 流程
    而且 "街道信访办" 办理 "信访登记"：
      | petitionNo          | XF-2025-0507             |
      | form                | VISIT                    |
      | petitionerName      | 吴某等6人                |
      | representativeCount | 6                        |
      | subject             | 要求街道推翻区法院的判决 |
      | category            | COMPLAINT_CLAIM          |
      | authority           | LITIGATION               |
      | receivedDate        | 2025-05-05               |
    那么 审计记录中有 "message_sent"，内容包含 "代表人数不超过5人"
    而且 "街道信访办" 的待办中有 "信访登记"
    当 "街道信访办" 办理 "信访登记"：
      | petitionNo          | XF-2025-0507             |
      | form                | VISIT                    |
      | petitionerName      | 吴某（代表）             |
      | representativeCount | 3                        |
      | subject             | 要求街道推翻区法院的判决 |
      | category            | COMPLAINT_CLAIM          |
      | authority           | LITIGATION               |
      | receivedDate        | 2025-05-05               |
    那么 "街道信访办" 的待办中有 "诉访分离：告知依法通过诉讼程序解决"
    当 "街道信访办" 办理 "诉访分离：告知依法通过诉讼程序解决"：
      | noticeText | 对生效判决不服的，可依法申请再审，由政法机关依法处理 |
    那么 已向外发出消息 "petition_diverted"
    而且 案件以 "PETITION_DIVERTED" 结束

  场景: 回访发现矛盾反复，另立带原案编号的关联案件（场景12）
    假如 今天是 2025-07-01
    而且 "调解受理员" 登记了一件 "邻里" 纠纷：
      | caseNo | HY-2025-012 |
    而且 调委会已指派调解员
    而且 双方达成调解协议并签章生效，履行期限为 2025-07-15
    当 过了 15 天
    而且 "人民调解员" 办理 "核查履行情况"：
      | performanceStatus | DONE |
    而且 过了 30 天
    而且 "回访员" 办理 "回访"：
      | method            | VISIT                      |
      | performanceStatus | DONE                       |
      | satisfaction      | 3                          |
      | newRisk           | true                       |
      | notes             | 楼上再次漏水，双方又起争执 |
    那么 已向外发出消息 "new_dispute_case"
    而且 审计记录中有 "message_sent"，内容包含 "HY-2025-012"
    当 "人民调解员" 办理 "结案归档"：
      | archiveNo | HY-2025-012-A |
    那么 案件以 "SETTLED_PERFORMED" 结束
    当 查看原案编号为 "HY-2025-012" 的关联新案件
    那么 审计记录中有 "message_received"，内容包含 "HY-2025-012"
    而且 案件状态为 "办理中"
    而且 "调解受理员" 的待办中有 "受理登记"

  场景: 群体性物业纠纷上报街道领导，当事人撤回后结案
    假如 今天是 2025-03-03
    而且 "调解受理员" 登记了一件 "物业" 纠纷：
      | partyCount | 12 |
    那么 已向外发出消息 "mass_dispute_alert"
    当 调委会指派调解员
    而且 调解会议结果为 "WITHDRAWN"
    而且 "人民调解员" 办理 "结案归档"：
      | archiveNo | HY-2025-013-A |
    那么 案件以 "WITHDRAWN" 结束

  场景: 对街道行为的投诉转信访程序办理
    假如 今天是 2025-03-03
    而且 "调解受理员" 登记了一件 "信访矛盾" 纠纷：
      | facts | 投诉街道对违建处置不公 |
    那么 "街道信访办" 的待办中有 "信访登记"
    当 "街道信访办" 办理 "信访登记"：
      | petitionNo          | XF-2025-0303           |
      | form                | VISIT                  |
      | petitionerName      | 李某                   |
      | representativeCount | 1                      |
      | subject             | 投诉街道对违建处置不公 |
      | category            | ACCUSATION             |
      | authority           | OTHER_BODY             |
      | receivedDate        | 2025-03-03             |
    而且 "街道信访办" 办理 "告知向有权机关提出"：
      | noticeText | 请向区城管执法局提出 |
    而且 "人民调解员" 办理 "结案归档"：
      | archiveNo | HY-2025-014-A |
    那么 案件以 "PETITION_CLOSED" 结束
